"""Names and places the demo builds people and companies from: fictional, but as a Ningbo port speaks."""

from __future__ import annotations

from dataclasses import dataclass


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def pairs(text: str) -> tuple[tuple[str, str], ...]:
    """ "a1 b1 a2 b2" -> (("a1", "b1"), ("a2", "b2")): long word lists stay short and readable."""
    items = text.split()
    return tuple(zip(items[::2], items[1::2], strict=True))


@dataclass(frozen=True, slots=True)
class City:
    zh: str
    en: str
    address_prefix: str
    districts: tuple[tuple[str, str], ...]  # (district, administrative division code used in the USCC)
    streets: tuple[str, ...]
    weight: int


CITIES: tuple[City, ...] = (
    City("宁波", "Ningbo", "浙江省宁波市", pairs("北仑区 330206 鄞州区 330212 镇海区 330211 海曙区 330203"),
         words("明州路 长江路 太河路 新大路 天童南路"), 40),
    City("上海", "Shanghai", "上海市", pairs("浦东新区 310115 黄浦区 310101 虹口区 310109"),
         words("世纪大道 浦东南路 东大名路 中山东一路"), 12),
    City("舟山", "Zhoushan", "浙江省舟山市", pairs("定海区 330902 普陀区 330903"),
         words("海天大道 东海西路 沈家门滨港路"), 6),
    City("杭州", "Hangzhou", "浙江省杭州市", pairs("滨江区 330108 萧山区 330109 上城区 330102"),
         words("江南大道 钱江路 市心中路"), 8),
    City("苏州", "Suzhou", "江苏省苏州市", pairs("吴中区 320506 姑苏区 320508 昆山市 320583"),
         words("苏州大道东 东环路 前进西路"), 7),
    City("义乌", "Yiwu", "浙江省义乌市", pairs("稠城街道 330782 北苑街道 330782 福田街道 330782"),
         words("国际商贸城大道 宾王路 春晗路"), 8),
    City("温州", "Wenzhou", "浙江省温州市", pairs("鹿城区 330302 龙湾区 330303 瑞安市 330381"),
         words("车站大道 温州大道 安阳路"), 5),
    City("台州", "Taizhou", "浙江省台州市", pairs("椒江区 331002 黄岩区 331003 路桥区 331004"),
         words("市府大道 劳动路 银座街"), 5),
    City("绍兴", "Shaoxing", "浙江省绍兴市", pairs("越城区 330602 柯桥区 330603"),
         words("解放北路 金柯桥大道"), 4),
    City("厦门", "Xiamen", "福建省厦门市", pairs("思明区 350203 湖里区 350206"), words("湖滨南路 港中路"), 2),
    City("深圳", "Shenzhen", "广东省深圳市", pairs("南山区 440305 盐田区 440308"),
         words("深南大道 沿港路"), 3),
)  # fmt: skip

# Trade words of company names, with the pinyin used in English names and e-mail domains.
TRADE_WORDS = pairs("""
    海通 Haitong 恒信 Hengxin 华盛 Huasheng 港联 Ganglian 顺达 Shunda 新宇 Xinyu 鑫隆 Xinlong 东方 Dongfang
    金港 Jingang 四海 Sihai 泰和 Taihe 永盛 Yongsheng 瑞丰 Ruifeng 明州 Mingzhou 甬达 Yongda 凯越 Kaiyue
    宏远 Hongyuan 天翔 Tianxiang 嘉禾 Jiahe 汇通 Huitong 德信 Dexin 安捷 Anjie 博远 Boyuan 富港 Fugang
    长鸿 Changhong 锦程 Jincheng 航瑞 Hangrui 中联 Zhonglian 万邦 Wanbang 海晨 Haichen 诚通 Chengtong
    信达 Xinda 百川 Baichuan 广源 Guangyuan 兴业 Xingye 立达 Lida 开元 Kaiyuan 融通 Rongtong 众诚 Zhongcheng
""")

# (Chinese suffix, English suffix, cargo or service key): the key ties a company to what it ships or does.
FORWARDER_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("国际货运代理有限公司", "International Freight Forwarding Co., Ltd."),
    ("货运代理有限公司", "Freight Forwarding Co., Ltd."),
    ("国际物流有限公司", "International Logistics Co., Ltd."),
    ("供应链管理有限公司", "Supply Chain Management Co., Ltd."),
    ("物流有限公司", "Logistics Co., Ltd."),
)
CARGO_OWNER_SUFFIXES: tuple[tuple[str, str, str], ...] = (
    ("电子科技有限公司", "Electronic Technology Co., Ltd.", "electronics"),
    ("电器股份有限公司", "Electric Appliance Co., Ltd.", "appliances"),
    ("进出口有限公司", "Import & Export Co., Ltd.", "small_commodities"),
    ("纺织品有限公司", "Textiles Co., Ltd.", "textiles"),
    ("服饰有限公司", "Apparel Co., Ltd.", "textiles"),
    ("机械制造有限公司", "Machinery Manufacturing Co., Ltd.", "machinery"),
    ("家居用品有限公司", "Household Products Co., Ltd.", "furniture"),
    ("塑业有限公司", "Plastics Co., Ltd.", "plastics"),
    ("五金工具有限公司", "Hardware & Tools Co., Ltd.", "hardware"),
    ("汽车零部件有限公司", "Auto Parts Co., Ltd.", "auto_parts"),
    ("光伏科技股份有限公司", "Photovoltaic Technology Co., Ltd.", "solar"),
)
SHIPPING_LINE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("船务有限公司", "Shipping Co., Ltd."),
    ("航运有限公司", "Shipping Co., Ltd."),
    ("海运有限公司", "Marine Co., Ltd."),
    ("集装箱航运有限公司", "Container Lines Co., Ltd."),
)
SERVICE_SUFFIXES: tuple[tuple[str, str, str], ...] = (
    ("仓储有限公司", "Warehousing Co., Ltd.", "warehouse"),
    ("冷链物流有限公司", "Cold Chain Logistics Co., Ltd.", "warehouse"),
    ("港口装卸有限公司", "Stevedoring Co., Ltd.", "stevedoring"),
    ("集装箱运输有限公司", "Container Transport Co., Ltd.", "trucking"),
    ("汽车运输有限公司", "Trucking Co., Ltd.", "trucking"),
)

# Foreign lines calling at the port, registered abroad (no USCC): (name, head office address).
FOREIGN_LINES: tuple[tuple[str, str], ...] = (
    ("Nordic Star Container Line A/S", "Havnegade 12, 1058 Copenhagen K, Denmark"),
    ("Pacific Meridian Shipping Pte. Ltd.", "80 Robinson Road #12-01, Singapore 068898"),
    ("Adriatic Blue Lines S.p.A.", "Via del Porto 21, 34121 Trieste, Italy"),
    ("Hanseatic Bay Shipping GmbH", "Am Sandtorkai 44, 20457 Hamburg, Germany"),
)

# Hong Kong and Taiwan companies: Traditional names, contacts who read zh_TW. The first is the persona's.
HK_TW_COMPANIES: tuple[tuple[str, str, str, str], ...] = (
    (
        "台北永興國際物流股份有限公司",
        "Taipei Yung Hsing International Logistics Co., Ltd.",
        "forwarder",
        "台北市中山區民生東路二段{n}號",
    ),
    (
        "香港萬通國際貨運有限公司",
        "Hong Kong Man Tung International Freight Ltd.",
        "forwarder",
        "香港九龍尖沙咀廣東道{n}號",
    ),
    ("香港德豐船務有限公司", "Tak Fung Shipping (Hong Kong) Ltd.", "shipping_line", "香港中環干諾道中{n}號"),
    (
        "高雄恆昌實業股份有限公司",
        "Kaohsiung Heng Chang Industrial Co., Ltd.",
        "cargo_owner",
        "高雄市前鎮區成功二路{n}號",
    ),
    (
        "台中寶利電子股份有限公司",
        "Taichung Pao Li Electronics Co., Ltd.",
        "cargo_owner",
        "台中市西屯區台灣大道三段{n}號",
    ),
    ("香港信和貿易有限公司", "Sun Wo Trading (Hong Kong) Ltd.", "cargo_owner", "香港葵涌貨櫃碼頭路{n}號"),
)

SURNAMES = pairs("""
    李 li 王 wang 张 zhang 刘 liu 陈 chen 杨 yang 黄 huang 赵 zhao 吴 wu 周 zhou 徐 xu 孙 sun 马 ma 朱 zhu
    胡 hu 郭 guo 何 he 林 lin 罗 luo 高 gao 郑 zheng 梁 liang 谢 xie 宋 song 唐 tang 邓 deng 冯 feng 韩 han
    曹 cao 彭 peng 蔡 cai 潘 pan 董 dong 叶 ye 蒋 jiang 沈 shen 俞 yu 应 ying 戴 dai 汪 wang 金 jin 方 fang
""")
GIVEN_NAMES = pairs("""
    伟 wei 芳 fang 敏 min 静 jing 丽 li 强 qiang 军 jun 洋 yang 勇 yong 艳 yan 杰 jie 涛 tao 明 ming 超 chao
    秀英 xiuying 建华 jianhua 志强 zhiqiang 海燕 haiyan 晓东 xiaodong 文杰 wenjie 丽华 lihua 俊峰 junfeng
    雪梅 xuemei 国强 guoqiang 佳怡 jiayi 浩然 haoran 思远 siyuan 欣怡 xinyi 宇航 yuhang 一鸣 yiming
    婷婷 tingting 建军 jianjun 海波 haibo 立新 lixin 晓燕 xiaoyan 振华 zhenhua 凯 kai 斌 bin 鹏 peng 琳 lin
    慧 hui 亮 liang 红梅 hongmei 嘉伟 jiawei 梦瑶 mengyao 天宇 tianyu
""")
# Traditional-script names for Hong Kong and Taiwan contacts, with their own romanisation.
TRADITIONAL_NAMES = pairs("""
    林志明 lin.chihming 黃家豪 wong.kaho 張嘉欣 cheung.kayan 李偉倫 lee.wailun 吳淑芬 wu.shufen
    王俊傑 wang.chunchieh 劉詠詩 lau.wingsze 蔡宗翰 tsai.tsunghan 許雅婷 hsu.yating 鄭家樂 cheng.kalok
""")
FOREIGN_REPRESENTATIVES: tuple[str, ...] = ("Lars Henriksen", "Tan Wei Ming", "Marco Bellini", "Jens Vogler")

TITLES_PRIMARY = words("总经理 业务经理 物流经理 进出口部经理 副总经理")
TITLES_OTHER = words("操作主管 单证员 客服专员 报关主管 航线经理")
TITLES_BILLING = words("财务经理 财务主管 会计")

ORGANISATION_FORMS = words("有限责任公司 有限责任公司 股份有限公司 外商独资企业 中外合资企业")
BANKS = words("""
    中国银行宁波分行 中国工商银行宁波北仑支行 宁波银行总行营业部 招商银行宁波分行 中国建设银行上海浦东分行
    交通银行浙江省分行 浙商银行杭州分行 中国农业银行义乌分行
""")
SERVICE_AREAS = words(
    "宁波、舟山及浙东地区 长三角地区 浙江全省 华东、华南 浙中（义乌、金华） 苏南及上海 全国"
)
BUSINESS_SCOPES: dict[str, str] = {
    "forwarder": "承办海运、陆运进出口货物的国际运输代理业务，包括揽货、订舱、中转、集装箱拼装拆箱、"
    "结算运杂费、报关、报检及运输咨询业务。",
    "cargo_owner": "生产、加工、销售本公司产品；自营和代理各类商品及技术的进出口业务。",
    "shipping_line": "国际、国内沿海集装箱班轮运输；船舶代理；船舶租赁；海运咨询服务。",
    "warehouse": "普通货物仓储、冷藏仓储（不含危险品）；集装箱堆存、拆装箱；物流信息咨询。",
    "stevedoring": "港口货物装卸、驳运；集装箱装卸、搬运；港口设施设备租赁。",
    "trucking": "道路普通货物运输、集装箱运输；货运代理；集卡车辆租赁。",
}
# Freight payment terms as written in the archive, with the days to due date the ledger uses.
PAYMENT_TERMS: dict[str, int] = {"月结60天": 60, "月结45天": 45, "月结30天": 30, "票结15天": 15, "预付": 7}

INTERESTS = words("喜欢喝茶 爱好高尔夫 喜欢钓鱼 关注足球 喜欢登山 书法爱好者")
EDUCATION = words("浙江大学MBA 上海海事大学毕业 宁波大学毕业 大连海事大学毕业 复旦大学EMBA")
STYLES = words("沟通直接，重视时效 注重细节，要求书面确认 重视价格，决策谨慎 看重长期合作关系")
