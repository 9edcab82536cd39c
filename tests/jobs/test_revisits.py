"""Revisit reminders: the latest visit decides, grade first then most overdue, one message per marketer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintCategory, ComplaintStatus, ContactMethod, CustomerStatus, Grade, Role
from portcrm.i18n import gettext_for, translation
from portcrm.jobs.base import JobContext, run_claimed
from portcrm.jobs.revisits import OVERDUE_REVISITS_WEEKLY, REVISIT_REMINDERS
from portcrm.models import ChatUser, Complaint, Customer, Notification, Staff, Visit
from portcrm.services.care.revisits import due_revisits
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_customer, make_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 23)  # a Monday
CADENCE = {"A": 30, "B": 60, "C": 90}
CALENDAR = PortCalendar(Settings(_env_file=None))  # type: ignore[call-arg]


def _ctx(db: Database, day: dt.date = TODAY, **settings: object) -> JobContext:
    moment = dt.datetime.combine(day, dt.time(8, 30), tzinfo=SHANGHAI)
    return JobContext(db, Settings(_env_file=None, **settings), moment)  # type: ignore[arg-type]


def _visit(customer: Customer, staff: Staff, days_ago: int, next_on: dt.date | None = None) -> Visit:
    at = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(10), tzinfo=SHANGHAI)
    return Visit(
        customer_id=customer.id,
        staff_id=staff.id,
        method=ContactMethod.PHONE,
        occurred_at=at,
        notes="回访",
        next_revisit_on=next_on,
    )


async def _sent(db: Database, kind: str) -> list[Notification]:
    async with db.session() as session:
        rows = await session.scalars(select(Notification).where(Notification.kind == kind).order_by("id"))
        return list(rows)


def _days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def _archived(days: int) -> dt.datetime:
    """When a customer entered the archive (its created_at)."""
    return dt.datetime.combine(_days(days), dt.time(9), tzinfo=SHANGHAI)


async def _portfolio(session: AsyncSession) -> tuple[Staff, Staff, Staff]:
    """One marketer with a mixed portfolio (reads English), one with a single due customer, one with none."""
    alice = await make_staff(session, name="Alice", telegram_user_id=7001)
    bo = await make_staff(session, name="薄", telegram_user_id=7002)
    await make_staff(session, name="Idle", telegram_user_id=7003)
    ops = await make_staff(session, name="Ops", roles=(Role.OPERATIONS,), telegram_user_id=7004)
    session.add(ChatUser(telegram_user_id=7001, locale="en"))

    async def mine(name: str, grade: Grade, **kw: object) -> Customer:
        return await make_customer(session, name=name, grade=grade, account_manager_id=alice.id, **kw)

    a_late, a_less = await mine("A late", Grade.A), await mine("A less late", Grade.A)
    b_today, b_undated = await mine("B today", Grade.B), await mine("B undated", Grade.B)
    c_late = await mine("C late", Grade.C)
    # never visited: one cadence after the later of cooperation and entering the archive
    await mine("B never visited", Grade.B, cooperation_since=_days(-100), created_at=_archived(-400))  # 40
    await mine("C never visited", Grade.C, cooperation_since=None, created_at=_archived(-90))  # due today
    later, gone = (
        await mine("A later", Grade.A),
        await mine("Gone", Grade.C, status=CustomerStatus.TERMINATED),
    )
    other = await make_customer(session, name="Bo's", grade=Grade.C, account_manager_id=bo.id)
    ops_own = await make_customer(session, name="Ops's own", grade=Grade.C, account_manager_id=ops.id)
    session.add_all(
        [
            _visit(a_late, alice, 40),
            _visit(a_late, alice, 5, next_on=_days(-5)),
            _visit(a_less, alice, 28, next_on=_days(-2)),
            _visit(b_today, alice, 60, next_on=TODAY),
            _visit(b_undated, alice, 70),  # latest visit left no date: due a cadence later, 10 days ago
            _visit(c_late, alice, 110, next_on=_days(-20)),
            # an earlier visit's stale date never counts: the latest visit moved the revisit forward
            _visit(later, alice, 50, next_on=_days(-20)),
            _visit(later, alice, 3, next_on=_days(27)),
            _visit(gone, alice, 200, next_on=_days(-100)),
            _visit(other, bo, 95, next_on=_days(-1)),
            _visit(ops_own, ops, 90, next_on=TODAY),  # managed outside the market department: no reminder
        ]
    )
    await session.commit()
    return alice, bo, ops


ORDER = ["A late", "A less late", "B never visited", "B undated", "B today", "C late", "C never visited"]


async def test_due_revisits_read_the_latest_visit_and_put_grade_first_then_the_most_overdue(
    session: AsyncSession,
) -> None:
    alice, _bo, _ops = await _portfolio(session)
    due = await due_revisits(session, alice.id, TODAY, CADENCE, calendar=CALENDAR)
    assert [(r.customer_name, r.days_overdue) for r in due] == [
        ("A late", 5),
        ("A less late", 2),
        ("B never visited", 40),
        ("B undated", 10),
        ("B today", 0),
        ("C late", 20),
        ("C never visited", 0),
    ]
    assert due[0].last_visit_on == _days(-5)
    assert due[-1].last_visit_on is None
    everyone = await due_revisits(session, None, TODAY, CADENCE, calendar=CALENDAR)
    assert {r.customer_name for r in everyone} == {*ORDER, "Bo's", "Ops's own"}


async def test_a_visit_is_dated_on_the_port_clock(session: AsyncSession) -> None:
    marketer = await make_staff(session)
    customer = await make_customer(session, grade=Grade.A, account_manager_id=marketer.id)
    # 23:30 UTC is already the next morning in Shanghai: the 30-day cadence counts from that morning
    at = dt.datetime.combine(_days(-31), dt.time(23, 30), tzinfo=dt.UTC)
    session.add(
        Visit(
            customer_id=customer.id,
            staff_id=marketer.id,
            method=ContactMethod.PHONE,
            occurred_at=at,
            notes="x",
        )
    )
    await session.commit()
    (due,) = await due_revisits(session, marketer.id, TODAY, CADENCE, calendar=CALENDAR)
    assert (due.last_visit_on, due.due_on, due.days_overdue) == (_days(-30), TODAY, 0)


async def test_each_marketer_gets_one_message_in_their_language_and_a_rerun_adds_nothing(
    db: Database,
) -> None:
    async with db.session() as session:
        alice, bo, _ops = await _portfolio(session)

    result = await run_claimed(REVISIT_REMINDERS, _ctx(db))
    assert result == {"due": 9, "reminders": 2}, "the idle marketer and the operations colleague get nothing"
    sent = await _sent(db, "revisit_reminder")
    assert [(n.staff_id, n.chat_id, n.idempotency_key) for n in sent] == [
        (alice.id, 7001, f"revisit:{alice.id}:2026-11-23"),
        (bo.id, 7002, f"revisit:{bo.id}:2026-11-23"),
    ]
    en, ngettext = gettext_for("en"), translation("en").ngettext
    lines = sent[0].text.splitlines()
    assert lines[0] == en("<b>Revisits due</b> ({count}), most important first:").format(count=7)
    assert [line.split("] ")[1].split(" — ")[0] for line in lines[2:]] == ORDER
    five = ngettext("{days} day overdue", "{days} days overdue", 5).format(days=5)
    assert lines[2] == en("• [{grade}] {company} — {when}").format(grade="A", company="A late", when=five) + (
        " " + en("(last visit {date})").format(date="Nov 18, 2026")
    )
    assert lines[-1].endswith(en("(never visited)"))
    zh = gettext_for("zh_CN")
    assert sent[1].text.startswith(zh("<b>Revisits due</b> ({count}), most important first:").format(count=1))
    assert "Bo&#x27;s" in sent[1].text, "names are escaped"

    assert await run_claimed(REVISIT_REMINDERS, _ctx(db)) is None
    assert await REVISIT_REMINDERS.run(_ctx(db)) == {"due": 9, "reminders": 0}
    assert len(await _sent(db, "revisit_reminder")) == 2


async def test_nobody_is_reminded_when_nothing_is_due(db: Database) -> None:
    async with db.session() as session:
        marketer = await make_staff(session)
        customer = await make_customer(session, account_manager_id=marketer.id)
        session.add(_visit(customer, marketer, 3, next_on=_days(1)))
        await session.commit()
    assert await REVISIT_REMINDERS.run(_ctx(db)) == {"due": 0, "reminders": 0}
    assert await _sent(db, "revisit_reminder") == []


async def test_managers_get_one_weekly_summary_each_with_the_worst_few(db: Database) -> None:
    async with db.session() as session:
        await _portfolio(session)
        boss = await make_staff(session, name="Boss", roles=(Role.MANAGER,), telegram_user_id=7100)
        deputy = await make_staff(session, name="Deputy", roles=(Role.MANAGER,), telegram_user_id=7101)
        session.add(ChatUser(telegram_user_id=7100, locale="en"))
        await session.commit()

    assert await OVERDUE_REVISITS_WEEKLY.run(_ctx(db)) == {"overdue": 6, "summaries": 2}
    sent = await _sent(db, "revisit_summary")
    assert [(n.staff_id, n.idempotency_key) for n in sent] == [
        (boss.id, f"revisit-summary:{boss.id}:2026-W48"),
        (deputy.id, f"revisit-summary:{deputy.id}:2026-W48"),
    ]
    en, ngettext = gettext_for("en"), translation("en").ngettext
    text = sent[0].text
    alice_count = ngettext("{count} overdue", "{count} overdue", 5).format(count=5)
    assert f"<b>Alice</b>: {alice_count}" in text, "due today is not overdue: 5 of Alice's 7"
    assert text.index("<b>Alice</b>") < text.index("<b>薄</b>"), "the most overdue account manager first"
    assert [c in text for c in ("A late", "A less late", "B never visited", "B undated", "C late")] == [
        True,
        True,
        True,
        False,
        False,
    ], "the worst three only"
    title = en("<b>Overdue revisits</b>, week {week}: {count} in all")
    assert text.startswith(title.format(week="2026-W48", count=6))

    assert await run_claimed(OVERDUE_REVISITS_WEEKLY, _ctx(db)) is not None
    assert await run_claimed(OVERDUE_REVISITS_WEEKLY, _ctx(db, _days(2))) is None, "same ISO week"
    assert len(await _sent(db, "revisit_summary")) == 2


async def test_the_weekly_summary_goes_to_the_managers_group_chat_when_configured(db: Database) -> None:
    async with db.session() as session:
        await _portfolio(session)
        await make_staff(session, name="Boss", roles=(Role.MANAGER,))
        await session.commit()
    ctx = _ctx(db, department_chats={"manager": -100777})
    assert await OVERDUE_REVISITS_WEEKLY.run(ctx) == {"overdue": 6, "summaries": 1}
    (summary,) = await _sent(db, "revisit_summary")
    assert (summary.chat_id, summary.staff_id) == (-100777, None)
    assert summary.idempotency_key == "revisit-summary:chat-100777:2026-W48"
    title = gettext_for("zh_CN")("<b>Overdue revisits</b>, week {week}: {count} in all")
    assert summary.text.startswith(title.format(week="2026-W48", count=6)), "the port's default language"


def _closed(customer: Customer, ticket: str, closed_on: dt.date) -> Complaint:
    at = dt.datetime.combine(closed_on, dt.time(15), tzinfo=SHANGHAI)
    return Complaint(
        ticket=ticket,
        customer_id=customer.id,
        category=ComplaintCategory.DELAY,
        department=Role.OPERATIONS,
        description="柜子晚了三天",
        status=ComplaintStatus.CLOSED,
        root_cause="process",
        corrective_action="调整截关时间",
        resolved_at=at,
        closed_at=at,
        created_at=at - dt.timedelta(days=3),
        updated_at=at,
    )


async def test_a_closed_complaint_brings_the_revisit_forward_until_a_visit_after_the_close_is_logged(
    db: Database, session: AsyncSession
) -> None:
    """Issue 17, defect 2: the verification revisit is planned from the close, never booked as made."""
    marketer = await make_staff(session, name="Alice", telegram_user_id=7101)
    session.add(ChatUser(telegram_user_id=7101, locale="en"))
    checked = await make_customer(session, name="Checked", grade=Grade.B, account_manager_id=marketer.id)
    pending = await make_customer(session, name="Pending", grade=Grade.A, account_manager_id=marketer.id)
    linked = await make_customer(session, name="Linked", grade=Grade.C, account_manager_id=marketer.id)
    recent = await make_customer(session, name="Recent", grade=Grade.C, account_manager_id=marketer.id)
    for customer in (checked, pending, linked, recent):
        session.add(_visit(customer, marketer, 60, next_on=_days(30)))  # none due on its cadence
    complaints = [
        _closed(checked, "CP-2026-000101", _days(-20)),
        _closed(pending, "CP-2026-000102", _days(-20)),  # Tue 3 Nov: five working days on, Tue 10 Nov
        _closed(pending, "CP-2026-000103", _days(-10)),
        _closed(linked, "CP-2026-000104", _days(-20)),
        _closed(recent, "CP-2026-000105", _days(-3)),  # Fri 20 Nov: not due before Fri 27 Nov
    ]
    session.add_all(complaints)
    await session.flush()
    session.add(_visit(checked, marketer, 12, next_on=_days(30)))  # after the close: verified
    linked_visit = _visit(linked, marketer, 25, next_on=_days(30))  # before it, but naming it
    linked_visit.complaint_id = complaints[3].id
    session.add(linked_visit)
    await session.commit()

    [due] = await due_revisits(session, marketer.id, TODAY, CADENCE, calendar=CALENDAR)
    assert (due.customer_name, due.due_on, due.days_overdue) == ("Pending", dt.date(2026, 11, 10), 13)
    assert due.verifies == ("CP-2026-000102", "CP-2026-000103")
    assert due.last_visit_on == _days(-60), "a planned revisit is not a visit made"

    assert await run_claimed(REVISIT_REMINDERS, _ctx(db)) == {"due": 1, "reminders": 1}
    [reminder] = await _sent(db, "revisit_reminder")
    plural = translation("en").ngettext(
        "verify the corrective action of {ticket} and {count} more complaint",
        "verify the corrective action of {ticket} and {count} more complaints",
        1,
    )
    assert plural.format(ticket="CP-2026-000102", count=1) in reminder.text
