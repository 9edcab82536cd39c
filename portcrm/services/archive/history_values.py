"""What the audit log's text means, read back: typed values, the rows they point at, and who acted.

The log stores every value as text and every reference as an id, and it is never edited (migration 0008).
So names are looked up here, when the history is read: a staff member renamed since shows under the current
name, a customer's contact under the name kept now (an erased person under the anonymous one), and a row
since deleted as its id alone (`Ref.name` None), for the edge to mark as deleted.
"""

from __future__ import annotations

import ast
import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Date, Integer, Numeric, func, literal, select
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from portcrm.models import Base, Contact, CreditLimit, Customer, Invoice, Payment, Shipment, Staff
from portcrm.models.audit import ERASED_MARKER
from portcrm.models.base import UTCDateTime
from portcrm.services.archive.cards import GradeReason, grade_reason

# how a row of each table is named to people; a table without a name is only checked to still exist
_NAMES: dict[str, tuple[ColumnElement[Any], ColumnElement[Any]]] = {
    "staff": (Staff.id, Staff.name),
    "customers": (Customer.id, Customer.name),
    "contacts": (Contact.id, Contact.name),
    "invoices": (Invoice.id, Invoice.number),
    "payments": (Payment.id, Payment.reference),
    "shipments": (Shipment.id, func.coalesce(Shipment.bl_number, Shipment.booking_ref, "")),
    "credit_limits": (CreditLimit.id, literal("")),
}


class ActorKind(enum.StrEnum):
    STAFF = "staff"
    CONTACT = "contact"  # a customer's contact, in chat
    CHAT_USER = "chat_user"  # in chat, but linked to no contact now (unlinked since, or erased)
    SYSTEM = "system"  # scheduled jobs
    IMPORT = "import"
    FEED = "feed"  # terminal and carrier feeds
    DEMO = "demo"
    CLI = "cli"
    OTHER = "other"


_SOURCES = {
    "system": ActorKind.SYSTEM,
    "import": ActorKind.IMPORT,
    "feed": ActorKind.FEED,
    "demo": ActorKind.DEMO,
    "cli": ActorKind.CLI,
}


@dataclass(slots=True)
class Ref:
    """A row a value or an entry points at, by the name it has now; None once resolved: deleted since."""

    table: str
    id: int
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Who:
    kind: ActorKind
    name: str | None = None  # staff or contact name now, an import's file name, an unknown actor's label
    ref: Ref | None = None  # staff and contacts: the row, deleted if its name is None


class Erased(enum.Enum):
    """A value the person's erasure replaced (the one edit the log allows)."""

    VALUE = ERASED_MARKER


Value = str | int | bool | Decimal | dt.date | dt.datetime | enum.Enum | Ref | tuple[GradeReason, ...] | None


def typed(table: str, field: str, raw: str | None) -> Value:
    """The stored text as the column's own type; text that no longer parses is shown as it is."""
    if raw is None:
        return None
    if raw == ERASED_MARKER:
        return Erased.VALUE
    column = Base.metadata.tables[table].c.get(field) if table in Base.metadata.tables else None
    if column is None:
        return raw
    try:
        if column.foreign_keys:
            return Ref(next(iter(column.foreign_keys)).column.table.name, int(raw))
        kind = column.type
        if isinstance(kind, SqlEnum) and kind.enum_class is not None:
            return kind.enum_class(raw)
        if isinstance(kind, Boolean):
            return {"True": True, "False": False}[raw]
        if isinstance(kind, UTCDateTime):
            value = dt.datetime.fromisoformat(raw)
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if isinstance(kind, Date):
            return dt.date.fromisoformat(raw)
        if isinstance(kind, Numeric):
            return Decimal(raw)
        if isinstance(kind, Integer) and not column.primary_key:
            return int(raw)
        if field == "grade_reasons":  # a list of dicts, written by the hook as Python shows it
            reasons = ast.literal_eval(raw)
            return tuple(grade_reason(r) for r in reasons if isinstance(r, dict))
    except (ValueError, KeyError, SyntaxError, TypeError, InvalidOperation, MemoryError, RecursionError):
        pass
    return raw


def actor(label: str, source: str, staff_id: int | None) -> tuple[Who, int | None]:
    """Who acted, before names are looked up; with the Telegram account to find a contact by."""
    if staff_id is not None:
        return Who(ActorKind.STAFF, ref=Ref("staff", staff_id)), None
    if source == "chat" and label.startswith("telegram:") and label[9:].isdigit():
        return Who(ActorKind.CHAT_USER), int(label[9:])
    if source == "import":
        return Who(ActorKind.IMPORT, label.removeprefix("import:")), None
    kind = _SOURCES.get(source, ActorKind.OTHER)
    return Who(kind, label if kind is ActorKind.OTHER else None), None


class Names:
    """Collects the references of one page, then looks each table's names up in one query."""

    def __init__(self) -> None:
        self._refs: list[Ref] = []
        self._accounts: set[int] = set()

    def want(self, values: Iterable[Any]) -> None:
        self._refs += [value for value in values if isinstance(value, Ref)]

    def want_account(self, telegram_user_id: int) -> None:
        self._accounts.add(telegram_user_id)

    async def resolve(self, session: AsyncSession) -> dict[int, Ref]:
        """Fills in every wanted reference's name; returns the contact linked to each Telegram account."""
        wanted: dict[str, set[int]] = defaultdict(set)
        for ref in self._refs:
            wanted[ref.table].add(ref.id)
        found: dict[tuple[str, int], str] = {}
        for table, ids in wanted.items():
            if table in _NAMES:
                key, name = _NAMES[table]
                rows = await session.execute(select(key, name).where(key.in_(ids)))
                found.update({(table, row_id): row_name or "" for row_id, row_name in rows.all()})
        for ref in self._refs:
            ref.name = found.get((ref.table, ref.id))
        linked: dict[int, Ref] = {}
        if self._accounts:
            rows = await session.execute(
                select(Contact.telegram_user_id, Contact.id, Contact.name).where(
                    Contact.telegram_user_id.in_(self._accounts)
                )
            )
            linked = {account: Ref("contacts", row_id, name) for account, row_id, name in rows.all()}
        return linked
