"""Files people take away (issue 17, item 12): a contact's copy of their own data, a customer's statement
of account, and staff exports of the archive, complaints and visits, each holding only what its reader may
see."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from portcrm.enums import ComplaintCategory, ContactMethod, Role
from portcrm.i18n import gettext_for
from portcrm.labels import CONTACT_METHOD_NAMES
from portcrm.models import Complaint, ComplaintEvent, Inquiry, Payment, Visit
from portcrm.services.archive.fields import FIELDS, Section, field_label
from portcrm.services.care.visits import with_photos
from sandbox import SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_invoice, make_staff
from tests.harness import TOKEN, RunningBot

REFUSED = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."
ME, COLLEAGUE, STRANGER = 7501, 7502, 7503
MARKET, FINANCE, MANAGER, OPERATIONS = 7511, 7512, 7513, 7514


def _today(app: RunningBot) -> dt.date:
    return dt.datetime.now(app.settings.tz).date()


def _cells(book: Workbook) -> Iterator[str]:
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            yield from (str(value) for value in row if value is not None)


def _rows(book: Workbook, sheet: int) -> list[tuple[Any, ...]]:
    return list(book.worksheets[sheet].iter_rows(values_only=True))


async def _document(
    app: RunningBot, user: SandboxUser, message: SentMessage, button: str
) -> tuple[SentMessage, Workbook]:
    """Press a button and return the file it sends, opened."""
    mark = app.sandbox.mark()
    app.sandbox.press(TOKEN, user, message, button)
    await app.settled()
    (sent,) = [m for m in app.sandbox.replies(user, mark, token=TOKEN) if m.kind == "document"]
    assert sent.data is not None
    assert sent.filename is not None
    assert sent.filename.endswith(".xlsx")
    return sent, load_workbook(io.BytesIO(sent.data))


async def _port(app: RunningBot) -> dict[str, int]:
    """Two companies: the person asking and a colleague at one, a stranger at the other; staff by role."""
    today = _today(app)
    now = dt.datetime.now(dt.UTC)
    async with app.db.session() as session:
        marketer = await make_staff(session, telegram_user_id=MARKET, name="李市场", roles=(Role.MARKET,))
        await make_staff(session, telegram_user_id=FINANCE, name="钱财务", roles=(Role.FINANCE,))
        await make_staff(session, telegram_user_id=MANAGER, name="王经理", roles=(Role.MANAGER,))
        await make_staff(session, telegram_user_id=OPERATIONS, name="赵运营", roles=(Role.OPERATIONS,))
        mine = await make_customer(
            session,
            code="EXP001",
            name="宁波自家货代",
            account_manager_id=marketer.id,
            bank_account="6222000011112222",
            annual_revenue=Decimal("88000000"),
        )
        other = await make_customer(
            session, code="EXP002", name="别家船务公司", bank_account="6222999988887777"
        )
        me = await make_contact(
            session,
            mine,
            name="王芳",
            phone="+8613812345678",
            email="wf@mine.cn",
            telegram_user_id=ME,
            interests="围棋",
            consent_greetings=True,
        )
        colleague = await make_contact(
            session,
            mine,
            name="李同事",
            phone="+8613900001111",
            email="colleague@mine.cn",
            is_primary=False,
            telegram_user_id=COLLEAGUE,
            interests="高尔夫",
        )
        stranger = await make_contact(
            session,
            other,
            name="外人张",
            phone="+8613700002222",
            email="z@other.cn",
            telegram_user_id=STRANGER,
        )
        for n, (contact, text) in enumerate(
            ((me, "我的投诉：箱子晚到"), (colleague, "同事的投诉：秘密"), (stranger, "外人的投诉"))
        ):
            complaint = Complaint(
                ticket=f"CP-T-{n}",
                customer_id=contact.customer_id,
                contact_id=contact.id,
                category=ComplaintCategory.DELAY,
                department=Role.OPERATIONS,
                description=text,
            )
            session.add(complaint)
            await session.flush()
            session.add(
                ComplaintEvent(
                    complaint_id=complaint.id, kind="message", contact_id=contact.id, text=f"{text}（补充）"
                )
            )
            session.add(
                Inquiry(customer_id=contact.customer_id, contact_id=contact.id, text=f"{contact.name}的问题")
            )
        session.add(
            Visit(
                customer_id=mine.id,
                staff_id=marketer.id,
                contact_id=me.id,
                method=ContactMethod.ON_SITE,
                occurred_at=now - dt.timedelta(days=3),
                notes=with_photos('上门拜访，谈新航线 =HYPERLINK("http://x")', ["PHOTO-FILE-ID-1"]),
            )
        )
        await make_invoice(
            session, mine, number="MINE-OPEN", due_on=today - dt.timedelta(days=10), amount=Decimal("1200.00")
        )
        await make_invoice(
            session, mine, number="MINE-USD", due_on=today + dt.timedelta(days=10), currency="USD"
        )
        paid = await make_invoice(
            session,
            mine,
            number="MINE-PAID",
            due_on=today,
            amount=Decimal("500.00"),
            paid_amount=Decimal("500.00"),
            settled=True,
        )
        await make_invoice(session, other, number="OTHER-OPEN", due_on=today - dt.timedelta(days=5))
        session.add_all(
            [
                Payment(
                    reference="PAY-RECENT",
                    customer_id=mine.id,
                    invoice_id=paid.id,
                    paid_on=today - dt.timedelta(days=20),
                    amount=Decimal("500.00"),
                    currency="CNY",
                ),
                Payment(
                    reference="PAY-ANCIENT",
                    customer_id=mine.id,
                    paid_on=today - dt.timedelta(days=400),
                    amount=Decimal("9.00"),
                    currency="CNY",
                ),
                Payment(
                    reference="PAY-OTHER",
                    customer_id=other.id,
                    paid_on=today - dt.timedelta(days=2),
                    amount=Decimal("7.00"),
                    currency="CNY",
                ),
            ]
        )
        await session.commit()
        return {"mine": mine.id, "other": other.id}


async def test_a_contact_downloads_a_copy_of_their_own_data_and_no_one_elses(app: RunningBot) -> None:
    await _port(app)
    me = app.user(ME, language_code="zh-hans")
    zh = gettext_for("zh_CN")
    screen = await app.say(me, "/privacy")
    sent, book = await _document(app, me, screen, zh("Download a copy of my data (.xlsx)"))
    assert sent.filename == zh("my-personal-data-{date}.xlsx").format(date=_today(app).isoformat())
    cells = set(_cells(book))
    text = "\n".join(cells)
    for mine in (
        "王芳",
        "+8613812345678",
        "wf@mine.cn",
        "围棋",
        "宁波自家货代",
        "我的投诉：箱子晚到",
        "我的投诉：箱子晚到（补充）",
        "王芳的问题",
        str(ME),
    ):
        assert mine in cells, mine
    for theirs in (
        "李同事",
        "13900001111",
        "colleague@",
        "高尔夫",
        "同事的投诉",
        "外人",
        "13700002222",
        "z@other.cn",
        "别家船务公司",
        str(COLLEAGUE),
        str(STRANGER),
    ):
        assert theirs not in text, theirs
    assert book.worksheets[0].title == zh("Your data")
    assert _rows(book, 0)[0] == (zh("Item"), zh("Value"))
    assert (zh("Consent to greetings"), zh("Yes")) in _rows(book, 0)
    visits = _rows(book, [s.title for s in book.worksheets].index(zh("Visits and calls")))
    assert visits[1][1] == zh(CONTACT_METHOD_NAMES[ContactMethod.ON_SITE])
    assert "谈新航线" not in text, "the staff's notes of a visit are not the person's data"


async def test_the_statement_of_account_holds_only_the_companys_open_items_and_recent_payments(
    app: RunningBot,
) -> None:
    await _port(app)
    me = app.user(ME, language_code="zh-hant")
    tw = gettext_for("zh_TW")
    balance = await app.say(me, "/balance")
    sent, book = await _document(app, me, balance, tw("Statement of account (.xlsx)"))
    assert sent.filename == tw("statement-{code}-{date}.xlsx").format(
        code="EXP001", date=_today(app).isoformat()
    )
    assert "宁波自家货代" in (sent.caption or "")
    assert [s.title for s in book.worksheets] == [tw("Summary"), tw("Open invoices"), tw("Recent payments")]
    summary = {row[2]: row for row in _rows(book, 0)[1:]}
    assert set(summary) == {"CNY", "USD"}
    assert Decimal(str(summary["CNY"][3])) == Decimal("1200.00")
    assert [row[0] for row in _rows(book, 1)[1:]] == ["MINE-OPEN", "MINE-USD"]
    assert _rows(book, 1)[0][0] == tw("Invoice")
    assert [row[:2] for row in _rows(book, 2)[1:]] == [("PAY-RECENT", "MINE-PAID")]
    text = "\n".join(_cells(book))
    for theirs in ("OTHER", "别家", "PAY-ANCIENT"):
        assert theirs not in text


async def test_a_marketer_exports_the_archive_without_finance_columns_and_full_phones(
    app: RunningBot,
) -> None:
    await _port(app)
    market = app.user(MARKET, language_code="zh-hans")
    zh = gettext_for("zh_CN")
    menu = await app.say(market, "/export")
    labels = [label for row in menu.buttons for label, _data in row]
    assert labels == [
        zh("{export} (.xlsx)").format(export=zh(name))
        for name in ("Customer archive", "Complaints", "Visits")
    ]
    _sent, book = await _document(app, market, menu, labels[0])
    headers = _rows(book, 0)[0]
    finance = [zh(field_label(f)) for f in FIELDS.values() if f.section is Section.FINANCIAL]
    assert zh(field_label(FIELDS["legal_representative"])) in headers
    assert not set(finance) & set(headers), "no finance column for the market department"
    text = "\n".join(_cells(book))
    assert "6222000011112222" not in text
    assert "88000000" not in text
    assert "+8613900001111" in text, "the market department sees contacts' phones"

    _sent, book = await _document(app, market, menu, labels[2])
    (visit,) = _rows(book, 0)[1:]
    assert visit[1:3] == ("EXP001", "宁波自家货代")
    assert visit[6] == '上门拜访，谈新航线 =HYPERLINK("http://x")', "text, never a formula; no photo ids"
    assert book.worksheets[0]["G2"].data_type == "s"


async def test_finance_gets_the_finance_columns_masked_phones_and_no_complaints(app: RunningBot) -> None:
    await _port(app)
    finance = app.user(FINANCE, language_code="en")
    menu = await app.say(finance, "/export")
    assert [label for row in menu.buttons for label, _data in row] == ["Customer archive (.xlsx)"]
    _sent, book = await _document(app, finance, menu, "Customer archive (.xlsx)")
    headers = _rows(book, 0)[0]
    assert {"Credit rating", "Bank account", "Annual revenue"} <= set(headers)
    customers = {row[0]: row for row in _rows(book, 0)[1:]}
    assert customers["EXP001"][headers.index("Bank account")] == "6222000011112222"
    contacts = "\n".join(str(v) for row in _rows(book, 1) for v in row)
    assert "+8613900001111" not in contacts
    assert "****1111" in contacts
    update = app.sandbox.press_data(TOKEN, finance, menu, "xprt:complaints")  # forged
    assert (await app.sandbox.wait_for_answer(update)).text == "You are not allowed to do that."


async def test_a_manager_exports_complaints_translated_and_strangers_cannot_export(app: RunningBot) -> None:
    await _port(app)
    manager = app.user(MANAGER, language_code="zh-hans")
    zh = gettext_for("zh_CN")
    menu = await app.say(manager, "/export")
    _sent, book = await _document(app, manager, menu, zh("{export} (.xlsx)").format(export=zh("Complaints")))
    rows = _rows(book, 0)
    assert rows[0][0] == zh("Ticket")
    assert sorted(row[0] for row in rows[1:]) == ["CP-T-0", "CP-T-1", "CP-T-2"]
    assert {row[5] for row in rows[1:]} == {zh("Delay")}
    for user_id in (ME, OPERATIONS):
        user = app.user(user_id, language_code="en")
        if user_id == ME:
            assert (await app.say(user, "/export")).text == REFUSED
        update = app.sandbox.press_data(TOKEN, user, menu, "xprt:visits")
        answered = await app.sandbox.wait_for_answer(update)
        if user_id == ME:
            assert answered.text == STALE
    operations = await app.say(app.user(OPERATIONS, language_code="en"), "/export")
    assert [label for row in operations.buttons for label, _data in row] == ["Customer archive (.xlsx)"]
