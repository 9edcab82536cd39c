"""Free text of the demo as staff and customers would write it: complaints, visit notes, comments, terms."""

from __future__ import annotations

from portcrm.enums import ComplaintCategory, ContactMethod, LeadSource, Role, ShipmentDirection

# What the texts of each complaint category look like.
# (shipment direction the text fits, or None for any, text). Placeholders: {bl}, {container}, {amount} in CNY.
COMPLAINT_TEXTS: dict[ComplaintCategory, tuple[tuple[ShipmentDirection | None, str], ...]] = {
    ComplaintCategory.DELAY: (
        (ShipmentDirection.IMPORT, "提单{bl}的货物已到港三天仍未放行提货，影响我司向客户交货，请尽快处理。"),
        (ShipmentDirection.EXPORT, "箱号{container}原定本航次装船，被甩柜至下一航次，事先没有任何通知。"),
    ),
    ComplaintCategory.CARGO_DAMAGE: (
        (ShipmentDirection.IMPORT, "箱号{container}提箱后发现箱体破损，部分纸箱受潮变形，约四十箱货物受损。"),
        (ShipmentDirection.EXPORT, "箱号{container}进闸后在堆场作业中被碰撞，箱内货物受损，需要重新装箱。"),
    ),
    ComplaintCategory.BILLING: (
        (None, "上月账单中堆存费按二十天计收，实际只堆存十二天，多收约{amount}元。"),
        (None, "查验服务费重复收取两次，金额{amount}元，请核实退还。"),
    ),
    ComplaintCategory.DOCUMENTATION: (
        (None, "提单{bl}的收货人信息有误，三天前已申请更正，至今没有处理结果。"),
        (ShipmentDirection.IMPORT, "箱号{container}的设备交接单（EIR）与实际箱况不符，无法办理还箱。"),
    ),
    ComplaintCategory.STAFF_SERVICE: (
        (None, "服务热线多次无人接听，留言后也没有回电。"),
        (None, "闸口工作人员态度生硬，司机询问进闸手续时被呵斥。"),
    ),
    ComplaintCategory.OTHER: (
        (None, "港区道路拥堵，集卡排队进闸超过四小时，建议增开通道。"),
        (None, "网上预约提箱系统经常卡顿，无法按时预约。"),
    ),
}
ROOT_CAUSES: dict[ComplaintCategory, tuple[str, ...]] = {
    ComplaintCategory.DELAY: ("yard_congestion", "vessel_schedule_change", "customs_inspection"),
    ComplaintCategory.CARGO_DAMAGE: ("handling_error", "container_defect", "reefer_power_failure"),
    ComplaintCategory.BILLING: ("tariff_setup_error", "duplicate_charge"),
    ComplaintCategory.DOCUMENTATION: ("data_entry_error", "process_gap"),
    ComplaintCategory.STAFF_SERVICE: ("staff_attitude", "hotline_understaffed"),
    ComplaintCategory.OTHER: ("capacity_shortage", "system_performance"),
}
RESOLUTIONS: dict[ComplaintCategory, str] = {
    ComplaintCategory.DELAY: "已协调优先放行，并免除延误期间的堆存费。",
    ComplaintCategory.CARGO_DAMAGE: "经查验确认为作业不当所致，按合同约定赔偿受损货物，并出具书面说明。",
    ComplaintCategory.BILLING: "核实后退还多收费用，下月账单中冲抵。",
    ComplaintCategory.DOCUMENTATION: "已更正单证信息，并安排专人跟进后续手续。",
    ComplaintCategory.STAFF_SERVICE: "已向客户致歉，对相关人员进行批评教育。",
    ComplaintCategory.OTHER: "已反馈相关部门，高峰时段增开闸口通道。",
}
CORRECTIVE_ACTIONS: tuple[str, ...] = (
    "修订作业规程并组织班组培训。",
    "计费系统增加堆存天数自动校验。",
    "单证更正申请纳入二十四小时限时办结。",
    "热线高峰时段增加值班人员。",
    "每周复盘同类投诉，纳入部门考核。",
)
STAFF_NOTES: dict[Role, tuple[str, ...]] = {
    Role.OPERATIONS: (
        "已调取闸口记录和现场照片，正在核实。",
        "已联系船公司确认船期情况。",
        "已安排现场查看箱况。",
    ),
    Role.FINANCE: ("已调取计费明细，正在逐项核对。", "已核对付款记录和发票。"),
    Role.MARKET: ("已向相关班组了解情况。", "已调取热线通话记录。"),
}
QUESTIONS: tuple[str, ...] = (
    "请提供开箱照片和装箱单，以便核实损失。",
    "请提供相关发票号码和付款凭证。",
    "请确认正确的收货人名称和地址。",
)
CUSTOMER_REPLIES: tuple[str, ...] = (
    "照片和装箱单已通过邮件发送。",
    "凭证已上传，请查收。",
    "信息已确认，谢谢。",
)
SATISFACTION_COMMENTS: dict[int, str] = {
    5: "处理及时，非常满意。",
    4: "结果满意，希望以后沟通更主动。",
    3: "问题解决了，但时间偏长。",
    2: "赔偿金额偏低。",
    1: "处理过程拖延，不满意。",
}

VISIT_NOTES: dict[ContactMethod, tuple[str, ...]] = {
    ContactMethod.PHONE: (
        "电话回访，了解近期出货计划。",
        "电话沟通新航线舱位需求。",
        "年度回访，征询服务意见。",
    ),
    ContactMethod.ON_SITE: (
        "上门拜访总经理，介绍港口新政策。",
        "到客户仓库了解装箱作业情况。",
        "季度走访，洽谈下年度货量。",
    ),
    ContactMethod.EMAIL: ("邮件发送最新费率表。", "邮件确认合作协议续签条款。"),
    ContactMethod.WECHAT: ("微信沟通本周船期和提箱安排。", "微信回复客户关于堆存费的咨询。"),
    ContactMethod.EVENT: (
        "客户座谈会上交流服务需求。",
        "联谊会上与客户负责人交流。",
        "推介会上介绍海铁联运服务。",
    ),
}
VISIT_OUTCOMES: tuple[str, ...] = (
    "客户计划下季度增加欧洲航线货量。",
    "客户对准班率满意，关注提箱效率。",
    "客户希望获得更优惠的堆存期。",
    "客户考虑将部分货量转至本港。",
    "无新需求，保持联系。",
)
COMPLAINT_FOLLOW_UP = "投诉处理结果回访，客户表示认可。"

SURVEY_COMMENTS: tuple[str, ...] = (
    "希望进一步提高提箱效率。",
    "客服响应速度有待提高。",
    "码头作业质量稳定，满意。",
    "建议开通更多线上查询功能。",
    "旺季舱位紧张，希望优先保障。",
)

AGREEMENT_TITLES: tuple[str, ...] = ("港口物流服务合作协议", "集装箱码头作业服务协议", "战略合作框架协议")
AGREEMENT_SERVICES = "订舱、报关报检、装卸作业、仓储堆存、运输安排、运费结算"

LEAD_SOURCE_DETAILS: dict[LeadSource, tuple[str, ...]] = {
    LeadSource.TRADE_FAIR: (
        "中国进出口商品交易会（广交会）",
        "中国—中东欧国家博览会",
        "义乌国际小商品博览会",
    ),
    LeadSource.PROMOTION_EVENT: (
        "宁波港航服务推介会（义乌站）",
        "海铁联运推介会（金华）",
        "港口服务推介会（苏州站）",
    ),
    LeadSource.REFERRAL: ("推荐", "推荐（老客户）"),  # after the referring customer's name
    LeadSource.ONLINE: ("官网在线咨询", "微信公众号留言", "电话热线咨询"),
    LeadSource.MANIFEST_RESEARCH: ("舱单分析：经上海港出口货量大", "配载清单分析：东南亚航线新增货主"),
    LeadSource.OTHER: ("物流园区走访", "媒体报道"),
}
LEAD_NOTES: tuple[str, ...] = (
    "目前主要经上海港出运，对我港堆存期政策感兴趣。",
    "有冷链仓储需求，计划明年扩大进口。",
    "关注海铁联运价格，希望安排实地考察。",
    "年出口量稳定，需要比较费率后决定。",
)
