"""Logging contacts with customers (visits): the one place that says what a valid visit is.

The next revisit date defaults to the grade's cadence (the same rule as `revisits.due_revisits`), so a logged
visit moves the customer off the due list until then. Photos have no column of their own: their Telegram file
ids are kept in a footer of the notes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ContactMethod, CustomerStatus, Grade
from portcrm.errors import N_, InvalidInput, NotFound
from portcrm.models import Customer, Staff, Visit
from portcrm.services.archive.customers import CustomerNotFound, by_code
from portcrm.services.archive.search import CustomerMatch, find_customers
from portcrm.services.care.revisits import DEFAULT_CADENCE_DAYS, DueRevisit, due_revisits
from portcrm.storage.transaction import transaction, transactional

log = logging.getLogger(__name__)

MAX_NOTES = 2000
MAX_PHOTOS = 5
PHOTOS_FOOTER = "[photos]"  # data, not prose: the file ids follow, one per line


class VisitNotFound(NotFound):
    message = N_("That visit was not found.")


@dataclass(frozen=True, slots=True)
class MarketerRevisits:
    """One account manager's due revisits, for the manager's overview (None: customers without one)."""

    staff_id: int | None
    staff_name: str | None
    revisits: list[DueRevisit]


def cadence_default(grade: Grade, today: dt.date, cadence: dict[str, int]) -> dt.date:
    """The grade's next revisit date from today (A: soonest)."""
    return today + dt.timedelta(days=cadence.get(grade.value, DEFAULT_CADENCE_DAYS))


def cadence_days(grade: Grade, cadence: dict[str, int]) -> int:
    return cadence.get(grade.value, DEFAULT_CADENCE_DAYS)


def check_notes(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput(N_("Please write what was discussed; the notes cannot be empty."))
    if len(value) > MAX_NOTES:
        raise InvalidInput(N_("The notes are too long: at most {limit} characters."), limit=MAX_NOTES)
    return value


def check_outcome(text: str | None) -> str | None:
    value = (text or "").strip()
    if len(value) > MAX_NOTES:
        raise InvalidInput(N_("The outcome is too long: at most {limit} characters."), limit=MAX_NOTES)
    return value or None


def parse_date(text: str) -> dt.date:
    value = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise InvalidInput(N_("Please type the date as YYYY-MM-DD, for example 2026-12-24."))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(N_("There is no such date: {value}"), value=value) from None


def check_next_date(next_on: dt.date | None, today: dt.date) -> dt.date | None:
    if next_on is not None and next_on < today:
        raise InvalidInput(
            N_("The next revisit cannot be in the past ({date}). Choose today or later."),
            date=next_on.isoformat(),
        )
    return next_on


async def resolve_customer(session: AsyncSession, text: str) -> tuple[Customer | None, list[CustomerMatch]]:
    """A typed customer: an exact active code, else the search (name, pinyin, phone); one match is chosen,
    several are returned to choose from."""
    try:
        return await by_code(session, text, active_only=True), []
    except CustomerNotFound:
        matches = await find_customers(session, text, limit=8)
    if len(matches) == 1:
        return await visit_customer(session, matches[0].customer_id), []
    if not matches:
        raise CustomerNotFound(N_("No customer matches {query}."), query=text.strip())
    return None, matches


async def visit_customer(session: AsyncSession, customer_id: int) -> Customer:
    """An active customer by id (a button's payload is user input: checked here, after the read)."""
    async with transaction(session):
        customer = await session.get(Customer, customer_id)
    if customer is None or customer.status != CustomerStatus.ACTIVE:
        raise CustomerNotFound()
    return customer


@transactional
async def recent_customers(session: AsyncSession, staff_id: int, limit: int = 8) -> list[Customer]:
    """The marketer's own active accounts, those visited most recently first."""
    latest = (
        select(Visit.customer_id, func.max(Visit.occurred_at).label("latest"))
        .group_by(Visit.customer_id)
        .subquery()
    )
    query = (
        select(Customer)
        .outerjoin(latest, latest.c.customer_id == Customer.id)
        .where(Customer.account_manager_id == staff_id, Customer.status == CustomerStatus.ACTIVE)
        .order_by(latest.c.latest.desc().nulls_last(), Customer.name)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


def add_photo(photo_file_ids: Sequence[str], file_id: str) -> list[str]:
    """One more photo for a visit draft, within the limit."""
    if len(photo_file_ids) >= MAX_PHOTOS:
        raise InvalidInput(N_("At most {limit} photos per visit."), limit=MAX_PHOTOS)
    return [*photo_file_ids, file_id]


def with_photos(notes: str, photo_file_ids: Sequence[str]) -> str:
    if not photo_file_ids:
        return notes
    return "\n".join([notes, "", PHOTOS_FOOTER, *photo_file_ids[:MAX_PHOTOS]])


async def log_visit(
    session: AsyncSession,
    staff_id: int,
    customer_id: int,
    method: ContactMethod,
    notes: str,
    outcome: str | None,
    next_revisit_on: dt.date | None,
    latitude: float | None,
    longitude: float | None,
    occurred_at: dt.datetime,
    *,
    tz: dt.tzinfo = dt.UTC,
    photo_file_ids: Sequence[str] = (),
) -> Visit:
    """Validate and record one visit; `tz` (the port's) dates `occurred_at` for the "not in the past" rule."""
    async with transaction(session):
        customer = await session.get(Customer, customer_id)
        if customer is None or customer.status != CustomerStatus.ACTIVE:
            raise CustomerNotFound()
        today = occurred_at.astimezone(tz).date()
        visit = Visit(
            customer_id=customer_id,
            staff_id=staff_id,
            method=ContactMethod(method),
            occurred_at=occurred_at,
            notes=with_photos(check_notes(notes), photo_file_ids),
            outcome=check_outcome(outcome),
            next_revisit_on=check_next_date(next_revisit_on, today),
            latitude=latitude,
            longitude=longitude,
        )
        session.add(visit)
    log.info("visit %s logged by staff %s for customer %s", visit.id, staff_id, customer_id)
    return visit


async def log_quick_visit(
    session: AsyncSession,
    staff_id: int,
    code: str,
    notes: str,
    occurred_at: dt.datetime,
    cadence: dict[str, int],
    *,
    tz: dt.tzinfo = dt.UTC,
) -> tuple[Visit, Customer]:
    """`/visit CODE notes`: an on-site visit, next revisit one grade cadence from today."""
    customer = await by_code(session, code, active_only=True)
    next_on = cadence_default(customer.grade, occurred_at.astimezone(tz).date(), cadence)
    visit = await log_visit(
        session,
        staff_id,
        customer.id,
        ContactMethod.ON_SITE,
        notes,
        None,
        next_on,
        None,
        None,
        occurred_at,
        tz=tz,
    )
    return visit, customer


@transactional
async def change_visit(
    session: AsyncSession,
    staff_id: int,
    visit_id: int,
    *,
    today: dt.date,
    method: ContactMethod | None = None,
    next_revisit_on: dt.date | None = None,
) -> tuple[Visit, Customer]:
    """Correct the method or next date of one's own visit (the quick line's buttons)."""
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.staff_id != staff_id:
        raise VisitNotFound()
    if method is not None:
        visit.method = ContactMethod(method)
    if next_revisit_on is not None:
        visit.next_revisit_on = check_next_date(next_revisit_on, today)
    customer = await session.get(Customer, visit.customer_id)
    assert customer is not None  # visits cascade with their customer
    return visit, customer


async def revisits_by_marketer(
    session: AsyncSession, today: dt.date, cadence: dict[str, int], *, calendar: PortCalendar
) -> list[MarketerRevisits]:
    """Everyone's due revisits grouped by account manager, for managers; groups by name."""
    due = await due_revisits(session, None, today, cadence, calendar=calendar)
    ids = {r.account_manager_id for r in due if r.account_manager_id is not None}
    async with transaction(session):
        names = dict((await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids)))).all())
    groups: dict[int | None, list[DueRevisit]] = {}
    for revisit in due:
        groups.setdefault(revisit.account_manager_id, []).append(revisit)
    result = [MarketerRevisits(sid, names.get(sid) if sid else None, rows) for sid, rows in groups.items()]
    result.sort(key=lambda g: (g.staff_name is None, g.staff_name or ""))
    return result
