"""Logging visits: what a valid visit is, the quick line's defaults, corrections, the manager's overview."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ContactMethod, CustomerStatus, Grade
from portcrm.errors import InvalidInput
from portcrm.models import Visit
from portcrm.services.archive import customers
from portcrm.services.care import visits
from portcrm.settings import Settings
from tests.factories import make_customer, make_staff

NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)
CADENCE = {"A": 30, "B": 60, "C": 90}
CALENDAR = PortCalendar(Settings(_env_file=None))  # type: ignore[call-arg]


async def _visits(session: AsyncSession) -> int:
    count = await session.scalar(select(func.count()).select_from(Visit))
    await session.commit()
    return int(count or 0)


async def test_a_visit_is_recorded_with_everything_given(session: AsyncSession) -> None:
    staff = await make_staff(session)
    customer = await make_customer(session, grade=Grade.A)
    visit = await visits.log_visit(
        session,
        staff.id,
        customer.id,
        ContactMethod.WECHAT,
        "  talked rates  ",
        "",
        dt.date(2026, 12, 1),
        31.2,
        121.5,
        NOW,
        photo_file_ids=["p1", "p2"],
    )
    assert visit.notes == "talked rates\n\n[photos]\np1\np2"
    assert visit.outcome is None
    assert (visit.latitude, visit.longitude, visit.next_revisit_on) == (31.2, 121.5, dt.date(2026, 12, 1))


@pytest.mark.parametrize(
    ("notes", "next_on"),
    [("", dt.date(2026, 12, 1)), ("x" * 2001, dt.date(2026, 12, 1)), ("ok", dt.date(2026, 11, 23))],
)
async def test_empty_or_long_notes_and_past_dates_are_refused(
    session: AsyncSession, notes: str, next_on: dt.date
) -> None:
    staff = await make_staff(session)
    customer = await make_customer(session)
    await session.commit()
    with pytest.raises(InvalidInput):
        await visits.log_visit(
            session, staff.id, customer.id, ContactMethod.PHONE, notes, None, next_on, None, None, NOW
        )
    assert await _visits(session) == 0


async def test_inactive_or_unknown_customers_cannot_be_visited(session: AsyncSession) -> None:
    staff = await make_staff(session)
    gone = await make_customer(session, status=CustomerStatus.TERMINATED, code="GONE1")
    await session.commit()
    for customer_id in (gone.id, 999_999):
        with pytest.raises(visits.CustomerNotFound):
            await visits.log_visit(
                session, staff.id, customer_id, ContactMethod.PHONE, "hi", None, None, None, None, NOW
            )
    with pytest.raises(visits.CustomerNotFound):
        await customers.by_code(session, "gone1", active_only=True)
    assert await _visits(session) == 0


async def test_the_quick_line_is_on_site_with_the_grade_cadence(session: AsyncSession) -> None:
    staff = await make_staff(session)
    await make_customer(session, code="NBA001", grade=Grade.A)
    await session.commit()
    visit, customer = await visits.log_quick_visit(session, staff.id, "nba001", "met the boss", NOW, CADENCE)
    assert customer.code == "NBA001"
    assert visit.method == ContactMethod.ON_SITE
    assert visit.next_revisit_on == dt.date(2026, 12, 24)


async def test_only_the_author_may_change_a_visit(session: AsyncSession) -> None:
    author, other = await make_staff(session), await make_staff(session)
    await make_customer(session, code="NBB001")
    await session.commit()
    visit, _customer = await visits.log_quick_visit(session, author.id, "NBB001", "hello", NOW, CADENCE)
    today = NOW.date()
    with pytest.raises(visits.VisitNotFound):
        await visits.change_visit(session, other.id, visit.id, today=today, method=ContactMethod.EMAIL)
    with pytest.raises(InvalidInput):
        await visits.change_visit(
            session, author.id, visit.id, today=today, next_revisit_on=dt.date(2026, 1, 1)
        )
    changed, _customer = await visits.change_visit(
        session,
        author.id,
        visit.id,
        today=today,
        method=ContactMethod.EMAIL,
        next_revisit_on=dt.date(2026, 12, 8),
    )
    assert (changed.method, changed.next_revisit_on) == (ContactMethod.EMAIL, dt.date(2026, 12, 8))


async def test_recent_customers_are_the_marketers_own_latest_visited_first(session: AsyncSession) -> None:
    me, other = await make_staff(session), await make_staff(session)
    old = await make_customer(session, account_manager_id=me.id, name="A old")
    new = await make_customer(session, account_manager_id=me.id, name="B new")
    never = await make_customer(session, account_manager_id=me.id, name="C never")
    await make_customer(session, account_manager_id=other.id)
    await session.commit()
    for customer, at in ((old, NOW - dt.timedelta(days=9)), (new, NOW - dt.timedelta(days=1))):
        await visits.log_visit(
            session, me.id, customer.id, ContactMethod.PHONE, "n", None, None, None, None, at
        )
    assert [c.id for c in await visits.recent_customers(session, me.id)] == [new.id, old.id, never.id]


async def test_managers_overview_groups_due_revisits_by_account_manager(session: AsyncSession) -> None:
    zhang, li = await make_staff(session, name="Zhang"), await make_staff(session, name="Li")
    since = dt.date(2025, 1, 1)
    archived = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # in the archive as long as cooperating
    await make_customer(session, account_manager_id=zhang.id, cooperation_since=since, created_at=archived)
    await make_customer(
        session, account_manager_id=li.id, cooperation_since=since, grade=Grade.A, created_at=archived
    )
    await make_customer(session, account_manager_id=li.id, cooperation_since=since, created_at=archived)
    await make_customer(session, cooperation_since=since, created_at=archived)
    await session.commit()
    groups = await visits.revisits_by_marketer(session, NOW.date(), CADENCE, calendar=CALENDAR)
    assert [(g.staff_name, len(g.revisits)) for g in groups] == [("Li", 2), ("Zhang", 1), (None, 1)]
    assert groups[0].revisits[0].grade == Grade.A


def test_dates_are_read_strictly() -> None:
    assert visits.parse_date(" 2026-12-24 ") == dt.date(2026, 12, 24)
    for bad in ("24/12/2026", "2026-02-30", "tomorrow"):
        with pytest.raises(InvalidInput):
            visits.parse_date(bad)
