"""The Chinese words an import accepts in its choice columns, in Simplified and Traditional script.

Each choice column accepts its stored codes (any case, `-` or a space for `_`) and, from these tables, the
terms staff write: those of docs/domain.md and the names the bot shows in zh_CN and zh_TW, so that a value
read off a chat card can be typed into a spreadsheet. This is the one table of them: `values.choice_parser`
and `values.term_parser` read it, docs/import.md's vocabulary lists it (a test keeps the two equal), and
the importers name a column's parser, never a table of their own.

A term is compared after NFKC folding (full-width letters and brackets become their plain forms) and case
folding, so `ＦＯＲＷＡＲＤＥＲ`, `Forwarder` and `forwarder` are one, and `船公司已放货（电放）` matches with
either bracket. A term may mean only one value of its column (a test checks it).
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from portcrm.enums import CargoEventType, CustomerStatus, CustomerType, Grade, ShipmentDirection

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Terms:
    simplified: tuple[str, ...]
    traditional: tuple[str, ...]

    @property
    def words(self) -> tuple[str, ...]:
        return (*self.simplified, *self.traditional)


def _t(simplified: str, traditional: str) -> Terms:
    """Terms separated by spaces: the Simplified ones, then the Traditional ones."""
    return Terms(tuple(simplified.split()), tuple(traditional.split()))


def folded(text: str) -> str:
    """How a cell's text and a term are compared."""
    return unicodedata.normalize("NFKC", text).casefold().strip().replace("-", "_").replace(" ", "_")


CUSTOMER_TYPES = {
    CustomerType.FORWARDER: _t("货代公司 货代 货运代理", "貨代公司 貨代 貨運代理"),
    CustomerType.SHIPPING_LINE: _t("船公司 船运公司 航运公司 船东", "船公司 船運公司 航運公司 船東"),
    CustomerType.CARGO_OWNER: _t("货主", "貨主"),
    CustomerType.SERVICE_PROVIDER: _t("服务供应商 服务商", "服務供應商 服務商"),
}
GRADES = {
    Grade.A: _t("核心客户", "核心客戶"),
    Grade.B: _t("重要客户", "重要客戶"),
    Grade.C: _t("潜在客户", "潛在客戶"),
}
CUSTOMER_STATUSES = {
    CustomerStatus.ACTIVE: _t("正常合作 合作中 正常", "正常合作 合作中 正常"),
    CustomerStatus.SUSPENDED: _t("暂停合作 暂停", "暫停合作 暫停"),
    CustomerStatus.TERMINATED: _t("终止合作 终止", "終止合作 終止"),
}
DIRECTIONS = {
    ShipmentDirection.IMPORT: _t("进口", "進口"),
    ShipmentDirection.EXPORT: _t("出口", "出口"),
    ShipmentDirection.TRANSSHIPMENT: _t("中转 转运", "中轉 轉運"),
}
_E = CargoEventType
CARGO_EVENT_TYPES = {
    _E.BOOKING_CONFIRMED: _t("订舱确认 订舱已确认", "訂艙確認 訂艙已確認"),
    _E.EMPTY_PICKUP: _t("提空箱 空箱已提取", "提空櫃 空櫃已提領"),
    _E.GATE_IN: _t("进闸 已进闸 重箱进港", "進閘 已進閘 重櫃進港"),
    _E.LOADED: _t("装船 已装船", "裝船 已裝船"),
    _E.VESSEL_DEPARTED: _t("离港 船舶离港 船舶已离港", "離港 船舶離港 船舶已離港"),
    _E.VESSEL_ARRIVED: _t("抵港 船舶抵港 船舶已抵港", "抵港 船舶抵港 船舶已抵港"),
    _E.DISCHARGED: _t("卸船 已卸船", "卸船 已卸船"),
    _E.CUSTOMS_HOLD: _t("海关查验 海关查验扣货", "海關查驗 海關查驗扣貨"),
    _E.CUSTOMS_RELEASED: _t("放行 海关放行 海关已放行", "放行 海關放行 海關已放行"),
    _E.PAYMENT_HOLD: _t("费用扣货 欠费扣货", "費用扣貨 欠費扣貨"),
    _E.PAYMENT_RELEASED: _t("费用放行 费用扣货已解除", "費用放行 費用扣貨已解除"),
    _E.AVAILABLE_FOR_PICKUP: _t("可提货", "可提貨"),
    _E.GATE_OUT: _t("出闸 已出闸 重箱提离", "出閘 已出閘 重櫃提離"),
    _E.DELIVERED: _t("送达 已送达 交付", "送達 已送達 交付"),
    _E.EMPTY_RETURNED: _t("还空箱 已还空箱", "還空櫃 已還空櫃"),
    _E.STUFFED: _t("装箱 已装箱", "裝櫃 已裝櫃"),
    _E.STRIPPED: _t("拆箱 已拆箱", "拆櫃 已拆櫃"),
    _E.PICKED_UP: _t("拖车提箱 拖车已提箱", "拖車提櫃 拖車已提櫃"),
    _E.DROPPED_OFF: _t("拖车交箱 拖车已交箱", "拖車交櫃 拖車已交櫃"),
    _E.INSPECTED: _t("查验 箱体已查验", "查驗 貨櫃已查驗"),
    _E.RESEALED: _t("重新施封 箱体已重新施封", "重新施封 貨櫃已重新施封"),
    _E.REMOVED: _t("移出航次 已从计划航次中移除", "移出航次 已從計劃航次中移除"),
    _E.CARRIER_HOLD: _t("船公司扣货", "船公司扣貨"),
    _E.CARRIER_RELEASED: _t("船公司放货 电放 船公司已放货（电放）", "船公司放貨 電放 船公司已放貨（電放）"),
}
# columns whose values are codes but not an enum of ours
LOCALES = {
    "zh_CN": _t("简体中文 简体", "簡體中文 簡體"),
    "zh_TW": _t("繁体中文 繁体", "繁體中文 繁體"),
    "en": _t("英文 英语", "英文 英語"),
}
# a payment's method is free text; these usual ones are stored as their code (and named by /history)
PAYMENT_METHODS = {
    "bank_transfer": _t("银行转账 转账 电汇 汇款", "銀行轉帳 轉帳 電匯 匯款"),
    "bank_acceptance": _t("银行承兑汇票 银行承兑 银承", "銀行承兌匯票 銀行承兌"),
    "offset": _t("冲抵 抵扣 对冲", "沖抵 抵扣 對沖"),
    "cash": _t("现金", "現金"),
    "cheque": _t("支票", "支票"),
}

# every enum column's terms, by its enum
ENUM_TERMS: dict[type[enum.Enum], Mapping[enum.Enum, Terms]] = {
    CustomerType: CUSTOMER_TYPES,
    Grade: GRADES,
    CustomerStatus: CUSTOMER_STATUSES,
    ShipmentDirection: DIRECTIONS,
    CargoEventType: CARGO_EVENT_TYPES,
}


def lookup(codes: Iterable[tuple[str, T]], terms: Mapping[T, Terms]) -> dict[str, T]:
    """Folded code or term -> value; `codes` pairs each value with its stored code."""
    found = {folded(code): value for code, value in codes}
    for value, words in terms.items():
        found.update((folded(word), value) for word in words.words)
    return found
