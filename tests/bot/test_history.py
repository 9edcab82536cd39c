"""/history through the real bot: a change per entry, people and records by name, the port's clock, filters.

Each department reads only the sections it keeps; a forged filter is refused and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portcrm.audit import Actor
from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.models import AuditEntry, Customer, Payment
from portcrm.port_time import format_port_time
from portcrm.services.privacy.erasure import erase_contact
from tests.factories import make_contact, make_customer, make_invoice, make_staff
from tests.harness import TOKEN, RunningBot

STALE = "This button is no longer valid."
LOCALES = {"en": "en", "zh-hans": "zh_CN"}
MARKET, FINANCE, OPERATIONS, MANAGER, CUSTOMER_USER = 7101, 7102, 7103, 7104, 7105
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")  # how the log stores times; never how they are shown


@dataclass
class Port:
    customer_id: int
    contact_id: int
    manager_staff_id: int


async def _port(app: RunningBot) -> Port:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=MARKET, name="周市场", roles=(Role.MARKET,))
        await make_staff(session, telegram_user_id=FINANCE, name="赵财务", roles=(Role.FINANCE,))
        await make_staff(session, telegram_user_id=OPERATIONS, name="孙运营", roles=(Role.OPERATIONS,))
        manager = await make_staff(session, telegram_user_id=MANAGER, name="陈经理", roles=(Role.MANAGER,))
        account_manager = await make_staff(session, name="李经理", roles=(Role.MARKET,))
        await make_staff(session, name="王五", roles=(Role.MARKET,))
        customer = await make_customer(
            session, code="NB001", name="宁波远洋运输有限公司", account_manager_id=account_manager.id
        )
        contact = await make_contact(session, customer, name="王经理", telegram_user_id=CUSTOMER_USER)
        await session.commit()
        return Port(customer.id, contact.id, manager.id)


def _entries(text: str) -> int:
    return len(re.findall(r"^• ", text, flags=re.MULTILINE))


def _labels(message: object) -> list[str]:
    return [label for row in message.buttons for label, _data in row]  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_a_credit_limit_change_is_one_entry_by_name_on_the_port_clock(
    app: RunningBot, language: str
) -> None:
    await _port(app)
    _ = gettext_for(LOCALES[language])
    finance = app.user(FINANCE, language_code=language)
    await app.say(finance, "/limit NB001 800000 CNY 年度复核")
    history = await app.say(finance, "/history NB001")
    text = history.text or ""
    async with app.db.session() as session:
        at = await session.scalar(select(AuditEntry.at).where(AuditEntry.entity == "credit_limits"))
        await session.commit()
    assert at is not None
    when = format_port_time(at, app.settings.tz, LOCALES[language])
    mine = [entry for entry in text.split("\n\n") if entry.startswith(f"• {when} · 赵财务\n")]
    assert len(mine) == 1, "the port's clock to the minute, the actor by name, the change in one entry"
    assert _entries(text) == 2, "and the customer's currency, when it was created: financial information too"
    assert _("Added: {record}").format(record=_("Credit limit")) in mine[0]
    for field, value in (
        ("Amount", "800,000.00"),
        ("Currency", "CNY"),
        ("Set by", "赵财务"),
        ("Reason", "年度复核"),
    ):
        assert _("{field}: {value}").format(field=_(field), value=value) in mine[0]
    assert _("Customer") not in mine[0], "this customer goes unsaid"
    assert "staff:" not in text
    assert not ISO.search(text)
    if language == "zh-hans":
        assert "金额：800,000.00" in text, "full-width colon"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_an_account_manager_change_names_both_and_enum_values_are_translated(
    app: RunningBot, language: str
) -> None:
    await _port(app)
    _ = gettext_for(LOCALES[language])
    market = app.user(MARKET, language_code=language)
    menu = await app.say(market, "/edit NB001")
    await app.press(market, menu, _("Account manager"))
    confirm = await app.say(market, "王五")
    await app.press(market, confirm, _("Confirm"))
    menu = await app.say(market, "/edit NB001")
    prompt = await app.press(market, menu, _("Customer type"))
    confirm = await app.press(market, prompt, _("Cargo owner"))
    await app.press(market, confirm, _("Confirm"))

    text = (await app.say(market, "/history NB001")).text or ""
    manager_change = _("{field}: {old} → {new}").format(field=_("Account manager"), old="李经理", new="王五")
    type_change = _("{field}: {old} → {new}").format(
        field=_("Customer type"), old=_("Freight forwarder"), new=_("Cargo owner")
    )
    assert manager_change in text
    assert type_change in text
    assert text.index(type_change) < text.index(manager_change), "newest first"
    assert ": forwarder" not in text
    assert "：forwarder" not in text
    assert "cargo_owner" not in text
    assert text.count("· 周市场\n") == 2, "each change its own entry, by the market colleague"
    assert _("Changed: {record}").format(record=_("Customer archive")) in text


async def test_payments_read_in_words_with_the_import_and_the_invoice_by_name(app: RunningBot) -> None:
    port = await _port(app)
    async with app.db.session(Actor(label="import:payments.xlsx", source="import")) as session:
        customer = await session.get(Customer, port.customer_id)
        assert customer is not None
        invoice = await make_invoice(session, customer, number="NBP-2026-10005", amount=Decimal("100.00"))
        session.add(
            Payment(
                reference="ICBC-0001",
                customer_id=customer.id,
                invoice_id=invoice.id,
                paid_on=dt.date(2026, 10, 29),
                amount=Decimal("60.00"),
                currency="CNY",
                method="offset",
            )
        )
        await session.commit()
    _ = gettext_for("zh_CN")
    text = (await app.say(app.user(FINANCE, language_code="zh-hans"), "/history NB001")).text or ""
    assert "· 文件导入（payments.xlsx）\n" in text
    assert "新增：付款 ICBC-0001" in text
    assert "付款方式：冲抵应付款" in text
    assert "发票：NBP-2026-10005" in text
    assert "付款日期：2026年10月29日" in text
    assert "offset" not in text
    assert "import:" not in text


async def test_filter_buttons_show_one_section_and_pages_keep_it(app: RunningBot) -> None:
    port = await _port(app)
    async with app.db.session() as session:
        session.add_all(
            AuditEntry(
                at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n),
                actor="system",
                source="system",
                entity="invoices",
                entity_id=10_000 + n,
                customer_id=port.customer_id,
                action="update",
                field="paid_amount",
                old_value="0.00",
                new_value=f"{n}.00",
            )
            for n in range(12)
        )
        await session.commit()
    _ = gettext_for("zh_CN")
    manager = app.user(MANAGER, language_code="zh-hans")
    first = await app.say(manager, "/history NB001")
    assert _labels(first) == ["✓ " + _("All"), "基本信息", "业务信息", "财务信息", "联系人", "▶"]
    assert all(len(data.encode()) <= 64 for row in first.buttons for _label, data in row)
    finance = await app.press(manager, first, "财务信息")
    text = finance.text or ""
    assert (finance.message_id, finance.edited) == (first.message_id, True)
    assert "· 财务信息 · 第 1/2 页" in text
    assert "已付金额：0.00 → 11.00" in text
    assert "#10011（已删除）" in text, "an invoice since deleted, by its id"
    assert "客户编号" not in text, "the customer's creation is basic information"
    assert "✓ 财务信息" in _labels(finance)
    second = await app.press(manager, finance, "▶")
    assert "· 财务信息 · 第 2/2 页" in (second.text or "")
    assert "客户编号" not in (second.text or "")
    basic = await app.press(manager, second, "基本信息")
    assert "客户编号：NB001" in (basic.text or "")
    assert "已付金额" not in (basic.text or "")
    contacts = await app.press(manager, basic, "联系人")
    assert "新增：联系人 王经理" in (contacts.text or "")


async def test_each_department_sees_its_sections_and_a_forged_filter_is_refused(app: RunningBot) -> None:
    port = await _port(app)
    await app.say(app.user(FINANCE, language_code="en"), "/limit NB001 5000 CNY")
    async with app.db.session() as session:
        logged = await session.scalar(select(func.count()).select_from(AuditEntry))
        await session.commit()
    _ = gettext_for("zh_CN")
    market = app.user(MARKET, language_code="zh-hans")
    shown = await app.say(market, "/history NB001")
    assert _labels(shown) == ["✓ " + _("All"), "基本信息", "联系人"]
    assert "信用额度" not in (shown.text or "")
    assert "🔒 未显示：业务信息和财务信息（由其他部门负责）。" in (shown.text or "")
    mark = app.sandbox.mark()
    refused = _("That part of the history is kept by another department, so it is not shown to you.")
    for forged, expected in (
        (f"fhpg:{port.customer_id}:0:financial", refused),
        (f"fhpg:{port.customer_id}:0:business", refused),
        (f"fhpg:{port.customer_id}:0:secret", _(STALE)),
        (f"fhpg:{port.customer_id}:0", _(STALE)),
    ):
        answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, market, shown, forged))
        assert (answer.text, answer.show_alert) == (expected, True), forged
    await app.settled()
    assert app.sandbox.replies(market, mark, token=TOKEN) == [], "nothing shown, nothing edited"

    operations = await app.say(app.user(OPERATIONS, language_code="en"), "/history NB001")
    assert operations.buttons == [], "one section: nothing to filter"
    assert "Credit limit" not in (operations.text or "")
    assert (
        "🔒 Not shown: Basic information, Financial information, and Contacts, kept by other departments."
        in (operations.text or "")
    )
    customer = app.user(CUSTOMER_USER, language_code="en")
    answer = await app.sandbox.wait_for_answer(
        app.sandbox.press_data(TOKEN, customer, shown, f"fhpg:{port.customer_id}:0:contact")
    )
    assert (answer.text, answer.show_alert) == (STALE, True)
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == logged


@pytest.mark.parametrize(
    ("language", "name", "erased", "what"),
    [
        (
            "zh-hans",
            "已删除的联系人 #{id}",
            "（已删除）",
            "应本人要求删除个人信息：联系人 已删除的联系人 #{id}",
        ),
        (
            "en",
            "Erased contact #{id}",
            "(erased)",
            "Personal data erased on the person's request: Contact Erased contact #{id}",
        ),
    ],
)
async def test_an_erased_contact_is_named_in_the_readers_words(
    app: RunningBot, language: str, name: str, erased: str, what: str
) -> None:
    port = await _port(app)
    async with app.db.session() as session:
        await erase_contact(session, port.contact_id, port.manager_staff_id, default_locale="zh_CN")
    manager = app.user(MANAGER, language_code=language)
    card = (await app.say(manager, "/find NB001")).text or ""
    assert name.format(id=port.contact_id) in card
    assert "⊘" not in card
    assert "Erased contact" not in card.replace(name.format(id=port.contact_id), "")
    history = await app.say(manager, "/history NB001")
    _ = gettext_for(LOCALES[language])
    contacts = await app.press(manager, history, str(_("Contacts")))
    text = contacts.text or ""
    assert what.format(id=port.contact_id) in text
    assert _("{field}: {value}").format(field=_("Name"), value=erased) in text
    assert "[erased]" not in text
    assert "⊘" not in text
    assert "· 陈经理\n" in text


async def test_a_long_history_is_paged_within_the_message_limit(app: RunningBot) -> None:
    port = await _port(app)
    async with app.db.session() as session:
        session.add_all(
            AuditEntry(
                at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n // 5),
                actor="x" * 100,
                source="chat",
                entity="customers",
                entity_id=port.customer_id,
                customer_id=port.customer_id,
                action="update",
                field=field,
                old_value="<&>" * 200,
                new_value="<b>" * 200,
            )
            for n, field in enumerate(
                ["address", "business_scope", "service_area", "routes", "cargo_types"] * 60
            )
        )
        await session.commit()
    manager = app.user(MANAGER, language_code="en")
    page = await app.say(manager, "/history NB001")
    for _turn in range(3):
        text = page.text or ""
        assert len(text) <= 4096
        assert "<b>" in text, "escaped, shown as typed"
        page = await app.press(manager, page, "▶")
