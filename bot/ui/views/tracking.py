"""The cargo status card and the /shipments list as HTML text (their buttons: bot/ui/keyboards/tracking.py).

Every database value is escaped and clipped, so that a card stays well under Telegram's 4096 characters
whatever the archive holds: at most 20 containers and 10 events are listed, with a count of the rest.
"""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from bot.ui.views.free_time import free_time_section, shown_length
from bot.ui.views.pickup import pickup_lines
from portcrm.enums import CargoEventType
from portcrm.labels import CARGO_EVENT_NAMES, DIRECTION_NAMES
from portcrm.port_time import format_port_time
from portcrm.services.tracking.shipments import PAGE_SIZE, ShipmentPage
from portcrm.services.tracking.status_cards import StatusCard, TimelineEntry

MAX_MESSAGE = 4096
_MAX_CONTAINERS = 20
_DESCRIPTION_LENGTH = 300
_TEXT_LENGTH = 100
_LIST_VESSEL_LENGTH = 40


def _clip(text: str, limit: int = _TEXT_LENGTH) -> str:
    """Escaped, and cut with an ellipsis beyond `limit` characters (counted before escaping)."""
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _status(status: CargoEventType | None) -> str:
    return html.escape(_(CARGO_EVENT_NAMES[status]) if status else _("No status yet"))


def _vessel(name: str | None, voyage: str | None) -> str:
    """Vessel name and voyage as ports write them (船名航次): COSCO ARIES 078E."""
    return " ".join(part for part in (name, voyage) if part)


def status_card_text(card: StatusCard, tz: ZoneInfo, locale: str) -> str:
    lines = [f"📦 <b>{_clip(card.reference)}</b>"]
    if card.bl_number and card.booking_ref:
        lines.append(_("Booking: {booking}").format(booking=_clip(card.booking_ref)))
    lines.append(
        _("Cargo: {description}").format(description=_clip(card.cargo_description, _DESCRIPTION_LENGTH))
    )
    lines.append(
        _("Direction: {direction}").format(direction=html.escape(_(DIRECTION_NAMES[card.direction])))
    )
    if vessel := _vessel(card.vessel_name, card.voyage):
        lines.append(_("Vessel: {vessel}").format(vessel=_clip(vessel)))
    if card.port_of_loading or card.port_of_discharge:
        lines.append(
            _("Route: {origin} → {destination}").format(
                origin=_clip(card.port_of_loading or "—"), destination=_clip(card.port_of_discharge or "—")
            )
        )
    lines.append(_("Status: {status}").format(status=f"<b>{_status(card.status)}</b>"))
    if card.location:
        lines.append(_("Location: {location}").format(location=_clip(card.location)))
    lines += _schedule(card, tz, locale)
    if card.customs_hold:
        lines.append("⚠️ <b>" + _("Customs hold: the cargo cannot leave until customs release it.") + "</b>")
    if card.payment_hold:
        lines.append("⚠️ <b>" + _("Payment hold: the cargo is released once the charges are paid.") + "</b>")
    if card.completed:
        lines.append("✅ " + _("This shipment is completed."))
    if card.containers:
        lines.append(_containers(card))
    if card.release is not None:
        lines += pickup_lines(card.release, locale)
    free_time_at = len(lines)
    lines += ["", "<b>" + _("Latest events") + "</b>"]
    if card.earlier_events:
        lines.append(_("({count} earlier events not shown)").format(count=card.earlier_events))
    lines += [_timeline_line(entry, tz, locale) for entry in card.timeline] or [_("No events recorded yet.")]
    if card.subscribed:
        lines += ["", "🔔 " + _("You get a message for every new event of this shipment.")]
    # last, so it takes only the room the rest leaves
    room = MAX_MESSAGE - shown_length("\n".join(lines))
    lines[free_time_at:free_time_at] = free_time_section(card.free_time, locale, room)
    return "\n".join(lines)


def _schedule(card: StatusCard, tz: ZoneInfo, locale: str) -> list[str]:
    times: list[tuple[str, dt.datetime | None]] = [
        (_("ETD: {time}"), card.etd),
        (_("ETA: {time}"), card.eta),
        (_("ATA: {time}"), card.ata),
        (_("ATD: {time}"), card.atd),
    ]
    return [label.format(time=format_port_time(value, tz, locale)) for label, value in times if value]


def _containers(card: StatusCard) -> str:
    shown = [
        f"{c.number} ({_clip(c.size_type)})" if c.size_type else c.number
        for c in card.containers[:_MAX_CONTAINERS]
    ]
    text = _("Containers ({count}): {numbers}").format(count=len(card.containers), numbers=", ".join(shown))
    if len(card.containers) > _MAX_CONTAINERS:
        text += " " + _("… and {count} more").format(count=len(card.containers) - _MAX_CONTAINERS)
    return text


def _timeline_line(entry: TimelineEntry, tz: ZoneInfo, locale: str) -> str:
    parts = [format_port_time(entry.occurred_at, tz, locale), _status(entry.event_type)]
    if entry.location:
        parts.append(_clip(entry.location))
    if entry.container_number:
        parts.append(entry.container_number)
    return "• " + " · ".join(parts)


def shipments_text(page: ShipmentPage, tz: ZoneInfo, locale: str) -> str:
    if not page.total:
        return _(
            "You have no active shipments. To look up any of your shipments, send /track with its B/L, "
            "booking or container number."
        )
    head = _("<b>Your active shipments</b> ({total})").format(total=page.total)
    if page.pages > 1:
        head += " · " + _("page {page} of {pages}").format(page=page.page + 1, pages=page.pages)
    lines = [head, ""]
    for number, line in enumerate(page.lines, start=page.page * PAGE_SIZE + 1):
        parts = [f"<b>{_clip(line.reference)}</b>"]
        if vessel := _vessel(line.vessel_name, line.voyage):
            parts.append(_clip(vessel, _LIST_VESSEL_LENGTH))
        parts.append(_status(line.status))
        eta = format_port_time(line.eta, tz, locale) if line.eta else "—"
        parts.append(_("ETA {time}").format(time=eta))
        lines.append(f"{number}. " + " · ".join(parts))
    lines += ["", _("Press a shipment to see its status card.")]
    return "\n".join(lines)
