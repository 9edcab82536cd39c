"""A customer's change history as HTML text (buttons: keyboards/find.py): one entry per change.

Each entry reads as people speak: when on the port's clock to the minute, who by name or in words (the
system, an import, a feed), what record, then each field by its label with values in the reader's language
(enum values by their names, references by the name the row has now, dates as the locale writes them).
Every value is escaped and clipped; the service pages so that a page fits one message.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

from bot.ui.views.archive import SECTION_NAMES
from bot.ui.views.customer_card import reason_text
from portcrm.enums import CustomerStatus, CustomerType, Grade
from portcrm.labels import (
    CUSTOMER_STATUS_NAMES,
    CUSTOMER_TYPE_NAMES,
    GRADE_NAMES,
    HISTORY_FIELD_NAMES,
    PAYMENT_METHOD_NAMES,
    person_name,
)
from portcrm.port_time import format_port_time
from portcrm.services.archive.fields import CONTACT_FIELDS
from portcrm.services.archive.history import FieldChange, HistoryEntry, HistoryPage
from portcrm.services.archive.history_values import ActorKind, Erased, Ref, Value, Who

MAX_MESSAGE = 4096
_VALUE = 40  # characters of a value, before escaping
_NAME = 60
_ENUM_NAMES: dict[type[enum.Enum], Mapping[object, str]] = {
    Grade: GRADE_NAMES,
    CustomerType: CUSTOMER_TYPE_NAMES,
    CustomerStatus: CUSTOMER_STATUS_NAMES,
}
# free-text columns whose usual values have names
_CODE_NAMES: dict[tuple[str, str], Mapping[str, str]] = {
    ("payments", "method"): PAYMENT_METHOD_NAMES,
    ("contacts", "locale"): CONTACT_FIELDS["locale"].choices or {},
}


def _clip(text: str, limit: int = _VALUE) -> str:
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _deleted(ref: Ref) -> str:
    return _("#{id} (deleted)").format(id=ref.id)


def _ref(ref: Ref) -> str:
    if ref.name is None:
        return _deleted(ref)
    return _clip(person_name(ref.name, _) if ref.table == "contacts" else ref.name, _NAME)


def actor_text(who: Who) -> str:
    """Who made the change: a person by the name they have now, anything else in words."""
    if who.kind is ActorKind.STAFF and who.ref is not None:
        return _ref(who.ref)
    if who.kind is ActorKind.CONTACT and who.ref is not None:
        return _("{name} (customer's contact)").format(name=_ref(who.ref))
    if who.kind is ActorKind.IMPORT:
        return _("File import ({file})").format(file=_clip(who.name or "", _NAME))
    words = {
        ActorKind.CHAT_USER: _("A customer's contact in chat"),
        ActorKind.SYSTEM: _("The system (scheduled jobs)"),
        ActorKind.FEED: _("Terminal and carrier feeds"),
        ActorKind.DEMO: _("Demo data"),
        ActorKind.CLI: _("Command line"),
    }
    return words.get(who.kind) or _clip(who.name or "?", _NAME)


def _record(entry: HistoryEntry) -> str:
    ref = entry.record
    if ref is None:
        return _("Customer archive")
    name = _ref(ref)
    records = {
        "contacts": lambda: _("Contact {name}").format(name=name),
        "invoices": lambda: _("Invoice {number}").format(number=name),
        "payments": lambda: _("Payment {reference}").format(reference=name),
        "credit_limits": lambda: _("Credit limit") + ("" if ref.name is not None else " " + name),
    }
    return records[ref.table]() if ref.table in records else f"{html.escape(ref.table)} {name}"


def _what(entry: HistoryEntry) -> str:
    record = _record(entry)
    actions = {
        "create": _("Added: {record}"),
        "update": _("Changed: {record}"),
        "delete": _("Deleted: {record}"),
        "erase": _("Personal data erased on the person's request: {record}"),
    }
    return actions.get(entry.action, "{record}").format(record=record)


def value_text(value: Value, entity: str, field: str, tz: ZoneInfo, locale: str) -> str:
    """One stored value in the reader's language, escaped."""
    if value is None or value == "" or value == ():
        return "—"
    if isinstance(value, Erased):
        return _("(erased)")
    if isinstance(value, Ref):
        return _ref(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, enum.Enum):
        names = _ENUM_NAMES.get(type(value), {})
        return html.escape(_(names[value])) if value in names else html.escape(str(value.value))
    if isinstance(value, dt.datetime):
        return format_port_time(value, tz, locale)
    if isinstance(value, dt.date):
        return format_date(value, format="medium", locale=locale)
    if isinstance(value, Decimal):
        return format_decimal(value, format="#,##0.00", locale=locale)
    if isinstance(value, int):
        return _("Linked") if field == "telegram_user_id" else format_decimal(value, locale=locale)
    if isinstance(value, tuple):
        return _clip("; ".join(html.unescape(reason_text(r)) for r in value), 2 * _VALUE)
    code_names = _CODE_NAMES.get((entity, field), {})
    return html.escape(_(code_names[value])) if value in code_names else _clip(value)


def _change(change: FieldChange, entry: HistoryEntry, tz: ZoneInfo, locale: str) -> str:
    label = HISTORY_FIELD_NAMES.get(entry.entity, {}).get(change.field)
    field = html.escape(_(label)) if label else f"<code>{html.escape(change.field)}</code>"  # a label missed
    new = value_text(change.new, entry.entity, change.field, tz, locale)
    if entry.action == "create":
        return _("{field}: {value}").format(field=field, value=new)
    old = value_text(change.old, entry.entity, change.field, tz, locale)
    return _("{field}: {old} → {new}").format(field=field, old=old, new=new)


def entry_lines(entry: HistoryEntry, tz: ZoneInfo, locale: str) -> list[str]:
    lines = [
        f"• <b>{format_port_time(entry.at, tz, locale)}</b> · {actor_text(entry.actor)}",
        "  " + _what(entry),
    ]
    lines += ["    " + _change(change, entry, tz, locale) for change in entry.changes]
    if entry.more:
        lines.append("    " + _("… and {count} more fields").format(count=entry.more))
    return lines


def history_text(page: HistoryPage, tz: ZoneInfo, locale: str) -> str:
    head = _("<b>History of {name}</b> ({code})").format(name=_clip(page.name, 80), code=_clip(page.code))
    if page.section is not None:
        head += " · " + html.escape(str(SECTION_NAMES[page.section]))
    if page.pages > 1:
        head += " · " + _("page {page} of {pages}").format(page=page.page + 1, pages=page.pages)
    lines = [head]
    for entry in page.entries:
        lines += ["", *entry_lines(entry, tz, locale)]
    if not page.entries:
        lines += ["", _("No changes recorded yet.")]
    if page.hidden:
        names = format_list([str(SECTION_NAMES[s]) for s in page.hidden], style="standard", locale=locale)
        lines += ["", "🔒 " + _("Not shown: {sections}, kept by other departments.").format(sections=names)]
    return _fit(lines)


def _fit(lines: list[str]) -> str:
    """The service pages to fit one message; should escaped values still outgrow it, the tail gives way."""
    text = "\n".join(lines)
    while len(text) > MAX_MESSAGE and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text
