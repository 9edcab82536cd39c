"""Every change to audited models lands in the audit log, written in the same flush as the change.

A session hook rather than calls in each service: no code path that changes customer data can forget it.
The actor (who) comes from `session.info`, set at the edge that knows the person.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from portcrm.models import AuditEntry, Customer
from portcrm.models.base import utcnow

_ACTOR_KEY = "portcrm.actor"
_SKIPPED = frozenset({"created_at", "updated_at", "id"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is changing data: a staff member, a customer's contact, or the system (jobs, imports)."""

    label: str
    source: str
    staff_id: int | None = None


SYSTEM = Actor(label="system", source="system")


def set_actor(session: Any, actor: Actor) -> None:
    session.info[_ACTOR_KEY] = actor


def _render(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return str(value)


def _customer_id(obj: Any) -> int | None:
    return obj.id if isinstance(obj, Customer) else getattr(obj, "customer_id", None)


def _changes(obj: Any, action: str) -> list[tuple[str, Any, Any]]:
    state = inspect(obj)
    changes = []
    for attr in state.mapper.column_attrs:
        if attr.key in _SKIPPED or not attr.columns[0].info.get("audited", True):  # derived columns
            continue
        history = state.attrs[attr.key].history
        if action == "create":
            value = getattr(obj, attr.key)
            if value is not None:
                changes.append((attr.key, None, value))
        elif action == "delete":
            old = (
                history.unchanged[0]
                if history.unchanged
                else (history.deleted[0] if history.deleted else None)
            )
            changes.append((attr.key, old, None))
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if _render(old) != _render(new):
                changes.append((attr.key, old, new))
    return changes


@event.listens_for(Session, "after_flush")
def _record(session: Session, _flush: UOWTransaction) -> None:
    # after_flush: ids of new rows are known and attribute history is still intact
    actor: Actor = session.info.get(_ACTOR_KEY, SYSTEM)
    pending: list[tuple[Any, str]] = [(o, "create") for o in session.new]
    pending += [(o, "update") for o in session.dirty if session.is_modified(o, include_collections=False)]
    pending += [(o, "delete") for o in session.deleted]
    rows = [
        {
            "at": now,
            "actor": actor.label,
            "staff_id": actor.staff_id,
            "source": actor.source,
            "entity": type(obj).__tablename__,
            "entity_id": obj.id,
            "customer_id": _customer_id(obj),
            "action": action,
            "field": field,
            "old_value": _render(old),
            "new_value": _render(new),
        }
        for now in [utcnow()]
        for obj, action in pending
        if getattr(type(obj), "audited", False)
        for field, old, new in _changes(obj, action)
    ]
    if rows:
        session.connection().execute(insert(AuditEntry), rows)
