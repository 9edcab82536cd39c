"""Scheduled surveys: key customers each quarter, complainants after closing, each asked once."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintCategory, ComplaintStatus, CustomerStatus, Grade, Role, SurveyKind
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext, run_claimed
from portcrm.jobs.surveys import COMPLAINT_SURVEYS, QUARTERLY_SURVEYS, previous_quarter
from portcrm.models import ChatUser, Complaint, Contact, Customer, Notification, Survey
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUN_DAY = dt.date(2027, 4, 12)  # the second Monday of Q2: asks about Q1
_tickets = itertools.count(1)


def _ctx(db: Database, day: dt.date = RUN_DAY, hour: int = 10) -> JobContext:
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)
    return JobContext(db, Settings(_env_file=None), moment)


async def _surveys(session: AsyncSession) -> list[Survey]:
    rows = list(await session.scalars(select(Survey).order_by(Survey.id)))
    await session.commit()  # SQLite: free the write lock for the next run
    return rows


async def _with_contact(
    session: AsyncSession, grade: Grade, telegram_user_id: int | None, **kw: object
) -> tuple[Customer, Contact]:
    customer = await make_customer(session, grade=grade, **kw)
    return customer, await make_contact(session, customer, telegram_user_id=telegram_user_id)


def test_the_previous_quarter_is_named_as_surveys_name_periods() -> None:
    assert previous_quarter(dt.date(2027, 4, 12)) == "2027-Q1"
    assert previous_quarter(dt.date(2027, 1, 11)) == "2026-Q4"
    assert previous_quarter(dt.date(2027, 12, 31)) == "2027-Q3"


async def test_grade_a_and_b_primary_contacts_on_telegram_are_asked_about_the_last_quarter(
    db: Database, session: AsyncSession
) -> None:
    _, english = await _with_contact(session, Grade.A, 8001)
    session.add(ChatUser(telegram_user_id=8001, locale="en"))
    _, chinese = await _with_contact(session, Grade.B, 8002)  # linked, never wrote: not blocked
    await _with_contact(session, Grade.B, 8003)
    session.add(ChatUser(telegram_user_id=8003, blocked_at=dt.datetime(2027, 3, 1, tzinfo=dt.UTC)))
    unlinked, _ = await _with_contact(session, Grade.B, None)
    await make_contact(session, unlinked, telegram_user_id=8004, is_primary=False)
    await _with_contact(session, Grade.C, 8005)
    await _with_contact(session, Grade.A, 8006, status=CustomerStatus.SUSPENDED)
    await session.commit()

    result = await run_claimed(QUARTERLY_SURVEYS, _ctx(db))
    assert result == {"period": "2027-Q1", "opened": 2, "already": 0, "refused": 0}
    surveys = await _surveys(session)
    assert [(s.contact_id, s.kind, s.period) for s in surveys] == [
        (english.id, SurveyKind.PERIODIC, "2027-Q1"),
        (chinese.id, SurveyKind.PERIODIC, "2027-Q1"),
    ]
    invites = {n.chat_id: n.text for n in await session.scalars(select(Notification))}
    await session.commit()
    assert set(invites) == {8001, 8002}
    for chat_id, locale in ((8001, "en"), (8002, "zh_CN")):
        _ = gettext_for(locale)
        assert _("Q{quarter} {year}").format(quarter=1, year=2027) in invites[chat_id]

    assert await run_claimed(QUARTERLY_SURVEYS, _ctx(db, RUN_DAY + dt.timedelta(days=7))) is None
    again = await QUARTERLY_SURVEYS.run(_ctx(db))
    assert again == {"period": "2027-Q1", "opened": 0, "already": 2, "refused": 0}
    assert len(await _surveys(session)) == 2


async def _complaint(
    session: AsyncSession, contact: Contact, status: ComplaintStatus, closed_at: dt.datetime | None
) -> Complaint:
    complaint = Complaint(
        ticket=f"CP-2027-{next(_tickets):06d}",
        customer_id=contact.customer_id,
        contact_id=contact.id,
        category=ComplaintCategory.DELAY,
        department=Role.OPERATIONS,
        description="集装箱提货延误",
        status=status,
        closed_at=closed_at,
    )
    session.add(complaint)
    await session.flush()
    return complaint


async def test_each_complaint_closed_lately_gets_one_survey_for_its_complainant(
    db: Database, session: AsyncSession
) -> None:
    now = dt.datetime.combine(RUN_DAY, dt.time(10, 30), tzinfo=SHANGHAI)
    _, linked = await _with_contact(session, Grade.C, 8101)
    _, unlinked = await _with_contact(session, Grade.A, None)
    closed = ComplaintStatus.CLOSED
    fresh = await _complaint(session, linked, closed, now - dt.timedelta(days=2))
    old_enough = await _complaint(session, linked, closed, now - dt.timedelta(days=6, hours=23))
    await _complaint(session, linked, closed, now - dt.timedelta(days=8))  # before the look-back
    await _complaint(session, linked, ComplaintStatus.RESOLVED, None)
    late = await _complaint(session, linked, closed, now + dt.timedelta(hours=1))  # after this run's moment
    await _complaint(session, unlinked, closed, now - dt.timedelta(days=1))  # nobody to ask in chat
    await session.commit()

    result = await run_claimed(COMPLAINT_SURVEYS, _ctx(db, hour=10))
    assert result == {"opened": 2, "already": 0, "refused": 0}
    surveys = await _surveys(session)
    assert sorted((s.complaint_id, s.period, s.kind) for s in surveys) == sorted(
        [
            (old_enough.id, old_enough.ticket, SurveyKind.AFTER_COMPLAINT),
            (fresh.id, fresh.ticket, SurveyKind.AFTER_COMPLAINT),
        ]
    )
    texts = [n.text for n in await session.scalars(select(Notification).where(Notification.chat_id == 8101))]
    await session.commit()
    assert any(fresh.ticket in text for text in texts)

    tomorrow = await run_claimed(COMPLAINT_SURVEYS, _ctx(db, RUN_DAY + dt.timedelta(days=1)))
    assert tomorrow == {"opened": 1, "already": 0, "refused": 0}, "only the one closed after the last run"
    assert [s.complaint_id for s in await _surveys(session)][-1] == late.id
    assert await COMPLAINT_SURVEYS.run(_ctx(db, RUN_DAY + dt.timedelta(days=1))) == {
        "opened": 0,
        "already": 0,
        "refused": 0,
    }
    assert len(await _surveys(session)) == 3
