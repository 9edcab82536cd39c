"""A person's traces outside their own record: name, phone and email in free text, and raw updates.

Erasure (`erasure.py`) replaces the first with the anonymous label or the marker and deletes the second.
Names shorter than two characters are left alone: they would match inside unrelated words.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from portcrm.models import Contact, ReceivedUpdate
from portcrm.models.audit import ERASED_MARKER


@dataclass(frozen=True, slots=True)
class Traces:
    """What identifies one person in text, longest first so an escaped form is replaced whole."""

    replacements: tuple[tuple[str, str], ...]
    telegram_user_ids: tuple[int, ...]

    @classmethod
    def of(cls, contact: Contact, label: str, telegram_user_ids: Iterable[int]) -> Traces:
        pairs: dict[str, str] = {}
        if len(contact.name.strip()) >= 2:  # one character would match inside unrelated words
            for form in (contact.name, html.escape(contact.name), html.escape(contact.name, quote=False)):
                pairs[form] = label
        for value in (contact.phone, contact.email):
            if value and len(value) >= 5:
                pairs[value] = pairs[html.escape(value)] = ERASED_MARKER
        if contact.phone and contact.phone.startswith("+86") and len(contact.phone) > 8:
            pairs[contact.phone.removeprefix("+86")] = ERASED_MARKER  # as people write it at home
        ordered = sorted(pairs.items(), key=lambda pair: -len(pair[0]))
        return cls(tuple(ordered), tuple(sorted(set(telegram_user_ids))))

    @property
    def needles(self) -> list[str]:
        return [needle for needle, _label in self.replacements]

    def scrub(self, text: str) -> str:
        for needle, replacement in self.replacements:
            text = text.replace(needle, replacement)
        return text

    def in_json(self, payload: Any) -> bool:
        text = json.dumps(payload, ensure_ascii=False)
        return any(needle in text for needle in self.needles)

    def mentioned(self, column: Any) -> ColumnElement[bool]:
        return or_(false(), *(column.contains(n, autoescape=True) for n in self.needles))


async def scrub(
    session: AsyncSession, columns: Sequence[InstrumentedAttribute[Any]], where: Any, traces: Traces
) -> None:
    """Replace the person's traces in these text columns of the rows that mention them."""
    if not traces.needles:
        return
    model = columns[0].class_
    key = model.__mapper__.primary_key[0]
    found = await session.execute(
        select(key, *columns).where(where, or_(*(traces.mentioned(column) for column in columns)))
    )
    for row_id, *values in found.all():
        changed = {
            column.key: traces.scrub(value)
            for column, value in zip(columns, values, strict=True)
            if value and traces.scrub(value) != value
        }
        if changed:
            statement = update(model).where(key == row_id).values(**changed)
            await session.execute(statement.execution_options(synchronize_session=False))


async def forget_updates(session: AsyncSession, traces: Traces) -> None:
    """The person's raw updates, and handled ones that mention them (a colleague's search, an alert's
    text echoed in a button press). JSON keeps non-ASCII escaped, so both spellings are searched."""
    needles = {str(uid) for uid in traces.telegram_user_ids}
    for needle in traces.needles:
        needles |= {needle, json.dumps(needle)[1:-1]}
    text = cast(ReceivedUpdate.payload, Text)
    found = await session.execute(
        select(ReceivedUpdate.update_id, ReceivedUpdate.payload, ReceivedUpdate.handled_at).where(
            or_(*(text.contains(n, autoescape=True) for n in needles))
        )
    )
    doomed = [
        update_id
        for update_id, payload, handled_at in found.all()
        if _sent_by(payload, traces.telegram_user_ids) or (handled_at is not None and traces.in_json(payload))
    ]
    if doomed:
        await session.execute(delete(ReceivedUpdate).where(ReceivedUpdate.update_id.in_(doomed)))


def _sent_by(payload: Any, accounts: Sequence[int]) -> bool:
    """Whether the update's sender, chat or member is one of these accounts (at any depth)."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in ("from", "chat", "user") and isinstance(value, dict) and value.get("id") in accounts:
                return True
            if _sent_by(value, accounts):
                return True
    elif isinstance(payload, list):
        return any(_sent_by(item, accounts) for item in payload)
    return False
