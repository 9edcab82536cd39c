"""A customer's change history from the audit log: one entry per change, newest first, by section.

An entry is what one flush of the audit hook wrote about one record: its rows share the moment, the actor
and the record (a credit limit set in chat is one entry with its fields, not a line per field). The log is
only read; names are looked up as it is read (history_values.py).

Who reads what: each department reads the history of the section it keeps (`fields.SECTION_OWNERS`: market
the basic information and the contacts, operations the business information, finance the financial
information, which takes in invoices, payments and credit limits); managers and the customer's account
manager read all of it. It is the card's rule for finances (`may_see_finances`) and phone numbers
(`may_see_phones`) applied to every section, so a contact's phone is never shown to someone the card would
mask it for. A section asked for that the viewer may not read is refused, whatever a button said.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from portcrm.enums import Role
from portcrm.errors import N_, Forbidden
from portcrm.models import AuditEntry, Base
from portcrm.services.archive.cards import load_customer
from portcrm.services.archive.fields import FIELDS, SECTION_OWNERS, Section
from portcrm.services.archive.history_values import ActorKind, Names, Ref, Value, Who, actor, typed
from portcrm.services.identity.users import Identity
from portcrm.storage.transaction import transactional

PAGE_ENTRIES = 8
PAGE_LINES = 30  # an entry's heading and each field shown count one: what one message holds
ENTRY_FIELDS = 24  # an entry's fields beyond these are counted, not listed
SECTIONS = (Section.BASIC, Section.BUSINESS, Section.FINANCIAL, Section.CONTACT)
_ENTITY_SECTIONS = {
    "contacts": Section.CONTACT,
    "credit_limits": Section.FINANCIAL,
    "invoices": Section.FINANCIAL,
    "payments": Section.FINANCIAL,
}
# the customer's own columns outside the basic information; the rest (code, grade, ...) are basic
_CUSTOMER_COLUMNS = {
    section: frozenset(f.column for f in FIELDS.values() if f.section is section)
    for section in (Section.BUSINESS, Section.FINANCIAL)
}


class NotYourSection(Forbidden):
    message = N_("That part of the history is kept by another department, so it is not shown to you.")


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str  # the column
    old: Value
    new: Value


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: dt.datetime
    actor: Who
    entity: str  # the table: customers, contacts, credit_limits, invoices, payments
    record: Ref | None  # the contact, invoice, ... as named now; None for the customer itself
    action: str  # create, update, delete, erase
    changes: tuple[FieldChange, ...]  # in the table's column order
    more: int  # fields changed beyond those listed


@dataclass(frozen=True, slots=True)
class HistoryPage:
    customer_id: int
    code: str
    name: str
    entries: tuple[HistoryEntry, ...]  # newest first
    page: int  # from 0
    pages: int
    total: int  # entries in all pages
    section: Section | None  # the filter; None: every section the viewer reads
    sections: tuple[Section, ...]  # the sections the viewer reads
    hidden: tuple[Section, ...]  # kept from this viewer


def section_of(entity: str, field: str) -> Section:
    if entity in _ENTITY_SECTIONS:
        return _ENTITY_SECTIONS[entity]
    return next((s for s, columns in _CUSTOMER_COLUMNS.items() if field in columns), Section.BASIC)


def _in_section(section: Section) -> ColumnElement[bool]:
    """The rows of one section, so that every row is in exactly one (as `section_of` says)."""
    own = [entity for entity, s in _ENTITY_SECTIONS.items() if s is section]
    other = [entity for entity, s in _ENTITY_SECTIONS.items() if s is not section]
    if section is Section.BASIC:
        outside = [AuditEntry.field.in_(columns) for columns in _CUSTOMER_COLUMNS.values()]
        return and_(
            AuditEntry.entity.not_in(other), not_(and_(AuditEntry.entity == "customers", or_(*outside)))
        )
    columns = _CUSTOMER_COLUMNS.get(section, frozenset())
    return or_(
        AuditEntry.entity.in_(own), and_(AuditEntry.entity == "customers", AuditEntry.field.in_(columns))
    )


def readable_sections(viewer: Identity, account_manager_id: int | None) -> tuple[Section, ...]:
    if viewer.has_any(Role.MANAGER) or (
        viewer.staff_id is not None and viewer.staff_id == account_manager_id
    ):
        return SECTIONS
    return tuple(s for s in SECTIONS if viewer.has_any(SECTION_OWNERS[s]))


Key = tuple[Any, ...]  # one change: the moment, actor (label, source, staff), record (table, id), action
_KEY = (
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.source,
    AuditEntry.staff_id,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.action,
)


@transactional
async def customer_history(
    session: AsyncSession, viewer: Identity, customer_id: int, page: int = 0, section: Section | None = None
) -> HistoryPage:
    """One page of the customer's history; a page beyond the last gives the last (callers compare).

    Names are those of now, not of the moment: a staff member renamed since shows under the new name, a
    contact erased since under the anonymous one, a row deleted since by its id (history_values.py).
    """
    customer = await load_customer(session, viewer, customer_id)
    readable = readable_sections(viewer, customer.account_manager_id)
    if section is not None and section not in readable:
        raise NotYourSection()
    shown = (section,) if section is not None else readable
    where = (AuditEntry.customer_id == customer.id, or_(false(), *(_in_section(s) for s in shown)))
    last = func.max(AuditEntry.id).label("last")
    groups = (
        await session.execute(
            select(*_KEY, func.count().label("rows"), last)
            .where(*where)
            .group_by(*_KEY)
            .order_by(AuditEntry.at.desc(), last.desc())
        )
    ).all()
    starts = _page_starts([group.rows for group in groups])
    page = min(max(page, 0), len(starts) - 1)
    chosen = groups[starts[page] : starts[page + 1] if page + 1 < len(starts) else len(groups)]
    entries = await _entries(session, customer.id, where, [tuple(group[: len(_KEY)]) for group in chosen])
    return HistoryPage(
        customer_id=customer.id,
        code=customer.code,
        name=customer.name,
        entries=entries,
        page=page,
        pages=len(starts),
        total=len(groups),
        section=section,
        sections=readable,
        hidden=tuple(s for s in SECTIONS if s not in readable),
    )


def _page_starts(sizes: list[int]) -> list[int]:
    """Where each page begins: as many entries as fit the page's lines, at least one."""
    starts, entries, lines = [0], 0, 0
    for index, size in enumerate(sizes):
        cost = 1 + min(size, ENTRY_FIELDS)
        if entries and (entries == PAGE_ENTRIES or lines + cost > PAGE_LINES):
            starts.append(index)
            entries = lines = 0
        entries, lines = entries + 1, lines + cost
    return starts


async def _entries(
    session: AsyncSession, customer_id: int, where: tuple[ColumnElement[bool], ...], keys: list[Key]
) -> tuple[HistoryEntry, ...]:
    """The page's changes, their rows fetched by the span of their moments and sorted out by key."""
    if not keys:
        return ()
    moments = [key[0] for key in keys]
    rows = await session.scalars(
        select(AuditEntry).where(*where, AuditEntry.at.between(min(moments), max(moments)))
    )
    by_key: dict[Key, list[AuditEntry]] = defaultdict(list)
    for row in rows:
        by_key[tuple(getattr(row, column.key) for column in _KEY)].append(row)
    names = Names()
    drafts: list[tuple[HistoryEntry, int | None]] = []
    for key in keys:
        at, label, source, staff_id, entity, entity_id, action = key
        who, account = actor(label, source, staff_id)
        record = None if entity == "customers" else Ref(entity, entity_id)
        changes = _changes(by_key[key], customer_id)
        shown = changes[:ENTRY_FIELDS]
        names.want([who.ref, record, *(value for c in shown for value in (c.old, c.new))])
        if account is not None:
            names.want_account(account)
        entry = HistoryEntry(at, who, entity, record, action, shown, len(changes) - len(shown))
        drafts.append((entry, account))
    linked = await names.resolve(session)
    return tuple(
        replace(entry, actor=Who(ActorKind.CONTACT, linked[account].name, linked[account]))
        if account in linked
        else entry
        for entry, account in drafts
    )


def _changes(rows: list[AuditEntry], customer_id: int) -> tuple[FieldChange, ...]:
    """The fields of one change in the table's order; a new record's customer (this one) goes unsaid."""
    table = Base.metadata.tables.get(rows[0].entity) if rows else None
    order = list(table.c.keys()) if table is not None else []
    changes = [
        FieldChange(
            row.field,
            typed(row.entity, row.field, row.old_value),
            typed(row.entity, row.field, row.new_value),
        )
        for row in rows
        if row.action != "erase" and not _this_customer(row, customer_id)
    ]
    return tuple(sorted(changes, key=lambda c: order.index(c.field) if c.field in order else len(order)))


def _this_customer(row: AuditEntry, customer_id: int) -> bool:
    """The customer of a record added or removed: the one whose history this is goes without saying."""
    return (
        row.entity != "customers"
        and row.field == "customer_id"
        and row.action in ("create", "delete")
        and str(customer_id) in (row.old_value, row.new_value)
    )
