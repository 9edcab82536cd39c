"""The Chinese names of choice values: every value named in both scripts, none ambiguous, the docs equal to
the code, the bot's own names accepted, and a whole file written in Chinese imported (issue 17, item 7)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType, CustomerStatus, CustomerType, Grade, ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.importing import vocabulary
from portcrm.importing.contacts import parse_locale
from portcrm.importing.values import choice_parser
from portcrm.labels import CARGO_EVENT_NAMES, CUSTOMER_STATUS_NAMES, CUSTOMER_TYPE_NAMES, DIRECTION_NAMES
from portcrm.models import Contact, Customer, Payment, Shipment
from portcrm.settings import LOCALES, PROJECT_ROOT
from tests.importing.support import Run

COLUMNS = {
    ("customers", "type"): vocabulary.CUSTOMER_TYPES,
    ("customers", "grade"): vocabulary.GRADES,
    ("customers", "status"): vocabulary.CUSTOMER_STATUSES,
    ("contacts", "locale"): vocabulary.LOCALES,
    ("shipments", "direction"): vocabulary.DIRECTIONS,
    ("cargo-events", "event_type"): vocabulary.CARGO_EVENT_TYPES,
    ("payments", "method"): vocabulary.PAYMENT_METHODS,
}
ENUMS = (CustomerType, Grade, CustomerStatus, ShipmentDirection, CargoEventType)


def _code(value: object) -> str:
    return str(getattr(value, "value", value))


@pytest.mark.parametrize("enum_cls", ENUMS, ids=lambda e: e.__name__)
def test_every_value_of_an_enum_column_has_names_in_both_scripts(enum_cls: type) -> None:
    terms = vocabulary.ENUM_TERMS[enum_cls]
    assert set(terms) == set(enum_cls)
    for member, names in terms.items():
        assert names.simplified, member
        assert names.traditional, member


@pytest.mark.parametrize("column", list(COLUMNS), ids="/".join)
def test_no_name_means_two_values_of_one_column(column: tuple[str, str]) -> None:
    seen: dict[str, str] = {}
    for value, names in COLUMNS[column].items():
        for word in (_code(value), *names.words):
            assert seen.setdefault(vocabulary.folded(word), _code(value)) == _code(value), word


# the Simplified forms among the characters of these names (their Traditional forms: 貨運東務應戶進轉...)
SIMPLIFIED_ONLY = set("货运东务应户进转订确认闸离关验费车还电达装计划从汇银账兑现冲对简体语柜单据")


def test_traditional_names_have_no_simplified_character() -> None:
    for table in COLUMNS.values():
        for names in table.values():
            for word in names.traditional:
                assert not set(word) & SIMPLIFIED_ONLY, word


def test_the_language_column_names_exactly_the_locales() -> None:
    assert list(vocabulary.LOCALES) == list(LOCALES)
    assert parse_locale("繁體中文") == "zh_TW"
    assert parse_locale("zh-cn") == "zh_CN"


@pytest.mark.parametrize(
    ("names", "enum_cls"),
    [
        (CUSTOMER_TYPE_NAMES, CustomerType),
        (CUSTOMER_STATUS_NAMES, CustomerStatus),
        (DIRECTION_NAMES, ShipmentDirection),
        (CARGO_EVENT_NAMES, CargoEventType),
    ],
    ids=["type", "status", "direction", "event_type"],
)
def test_what_the_bot_shows_in_chinese_can_be_typed_back(names: dict, enum_cls: type) -> None:
    parse = choice_parser(enum_cls)
    for locale in ("zh_CN", "zh_TW"):
        _ = gettext_for(locale)
        for member, msgid in names.items():
            assert parse(_(msgid)) is member, (locale, _(msgid))


def test_the_vocabulary_in_docs_is_the_one_in_the_code() -> None:
    text = (PROJECT_ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    section = text.split("## Vocabulary", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\S+) \| `(\w+)` \| `(\w+)` \| (.*?) \| (.*?) \|$", section, re.MULTILINE)
    documented = {
        (kind, column, code): (simplified, traditional)
        for kind, column, code, simplified, traditional in rows
    }
    expected = {
        (kind, column, _code(value)): ("、".join(names.simplified), "、".join(names.traditional))
        for (kind, column), table in COLUMNS.items()
        for value, names in table.items()
    }
    assert documented == expected


CUSTOMERS = """code,name,type,grade,status
ZH001,舟山船东航运有限公司,船东,核心客户,正常合作
ZH002,臺灣貨主股份有限公司,貨主,潛在客戶,暫停合作
"""
CONTACTS = """customer_code,name,locale
ZH001,陈船长,简体中文
ZH002,林經理,繁體中文
"""
SHIPMENTS = """customer_code,bl_number,direction,cargo_description
ZH001,ZHVOC0000001,出口,钢材
ZH002,ZHVOC0000002,轉運,電子零件
"""
EVENTS = """reference,event_type,occurred_at
ZHVOC0000001,进闸,2026-11-20 08:00
ZHVOC0000001,已裝船,2026-11-21 09:30
ZHVOC0000002,海關放行,2026-11-21 10:00
"""
INVOICES = """number,customer_code,issued_on,due_on,amount
ZH-INV-1,ZH001,2026-11-01,2026-12-01,1000.00
ZH-INV-2,ZH002,2026-11-01,2026-12-01,500.00
"""
PAYMENTS = """reference,invoice_number,paid_on,amount,method
ZH-PAY-1,ZH-INV-1,2026-11-10,400.00,银行转账
ZH-PAY-2,ZH-INV-2,2026-11-10,100.00,銀行承兌匯票
ZH-PAY-3,ZH-INV-2,2026-11-11,50.00,凭证冲账（手工）
"""


async def test_a_port_writing_every_choice_in_chinese_imports_without_a_code(
    session: AsyncSession, run_rows: Run
) -> None:
    for kind, text in (
        ("customers", CUSTOMERS),
        ("contacts", CONTACTS),
        ("shipments", SHIPMENTS),
        ("cargo-events", EVENTS),
        ("invoices", INVOICES),
        ("payments", PAYMENTS),
    ):
        report = await run_rows(kind, text)
        assert report.ok, (kind, [e.render() for e in report.errors])
    customers = {c.code: c for c in await session.scalars(select(Customer))}
    assert (customers["ZH001"].type, customers["ZH001"].grade, customers["ZH001"].status) == (
        CustomerType.SHIPPING_LINE,
        Grade.A,
        CustomerStatus.ACTIVE,
    )
    assert (customers["ZH002"].type, customers["ZH002"].grade, customers["ZH002"].status) == (
        CustomerType.CARGO_OWNER,
        Grade.C,
        CustomerStatus.SUSPENDED,
    )
    assert {c.name: c.locale for c in await session.scalars(select(Contact))} == {
        "陈船长": "zh_CN",
        "林經理": "zh_TW",
    }
    shipments = {s.bl_number: s for s in await session.scalars(select(Shipment))}
    assert shipments["ZHVOC0000001"].direction == ShipmentDirection.EXPORT
    assert shipments["ZHVOC0000001"].status == CargoEventType.LOADED
    assert shipments["ZHVOC0000002"].direction == ShipmentDirection.TRANSSHIPMENT
    assert shipments["ZHVOC0000002"].status == CargoEventType.CUSTOMS_RELEASED
    methods = {p.reference: (p.method, p.amount) for p in await session.scalars(select(Payment))}
    assert methods == {
        "ZH-PAY-1": ("bank_transfer", Decimal("400.00")),
        "ZH-PAY-2": ("bank_acceptance", Decimal("100.00")),
        "ZH-PAY-3": ("凭证冲账（手工）", Decimal("50.00")),  # not a usual method: kept as written
    }
