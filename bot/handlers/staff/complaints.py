"""The staff's complaint card, opened from the new-complaint alert or the /queue, with the desk's steps.

Anyone on the staff may read it; the step buttons appear for those who may act (complaint_desk.may_act).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui.button_replies import answer
from bot.ui.callbacks.complaints import StaffComplaintCard
from bot.ui.keyboards.desk import card_keyboard
from portcrm.calendar import PortCalendar
from portcrm.enums import CargoEventType, ComplaintStatus
from portcrm.labels import (
    CARGO_EVENT_NAMES,
    COMPLAINT_CATEGORY_NAMES,
    COMPLAINT_STATUS_NAMES,
    ROLE_NAMES,
    ROOT_CAUSE_NAMES,
    person_name,
)
from portcrm.models import ComplaintEvent
from portcrm.services.complaints.cards import ComplaintCard
from portcrm.services.complaints.desk import DeskUser
from portcrm.services.complaints.notices import clip
from portcrm.services.complaints.queue import DeskCard, desk_card
from portcrm.services.complaints.sla import SlaStatus
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

_EVENTS = 15  # the latest events
_BUDGET = 3900  # of the 4096 a message holds, leaving room for the assignee and SLA lines


async def open_card(
    query: CallbackQuery,
    callback_data: StaffComplaintCard,
    session: AsyncSession,
    settings: Settings,
    identity: Identity,
) -> None:
    desk = await desk_card(session, callback_data.complaint_id, desk_user(identity), PortCalendar(settings))
    await answer(query)
    assert query.bot is not None
    assert identity.staff_id is not None
    await query.bot.send_message(
        query.from_user.id, card_text(desk, settings), reply_markup=card_keyboard(desk, identity.staff_id)
    )


def desk_user(identity: Identity) -> DeskUser:
    assert identity.staff_id is not None  # the staff router lets only staff in
    return DeskUser(identity.staff_id, identity.roles)


def card_text(desk: DeskCard, settings: Settings) -> str:
    text = _card_text(desk.card, settings)
    for fewer in (10, 5, 1):  # a long history gives way to the message limit
        if len(text) <= _BUDGET:
            break
        text = _card_text(desk.card, settings, events=fewer)
    extra = [_("Assigned to: {name}").format(name=html.escape(desk.assignee_name or "—"))]
    if (sla := sla_text(desk.sla, desk.card.complaint.status)) is not None:
        extra.append(_("SLA: {state}").format(state=sla))
    head, _sep, rest = text.partition("\n\n")
    return "\n".join([head, *extra]) + "\n\n" + rest


def sla_text(sla: SlaStatus, status: ComplaintStatus) -> str | None:
    """Where the complaint stands against its SLA, in working time; None once resolved."""
    if status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
        return None
    if sla.paused:
        return _("paused: waiting for customer")
    clock = sla.current
    acknowledging = clock is sla.acknowledge
    if clock.overdue:
        template = _("ack overdue by {duration}") if acknowledging else _("resolve overdue by {duration}")
        return template.format(duration=duration_text(clock.overdue_by))
    template = _("ack due in {duration}") if acknowledging else _("resolve due in {duration}")
    return template.format(duration=duration_text(clock.remaining))


def duration_text(span: dt.timedelta) -> str:
    hours, minutes = divmod(int(span.total_seconds()) // 60, 60)
    if hours and minutes:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    if hours:
        return _("{hours} h").format(hours=hours)
    return _("{minutes} min").format(minutes=minutes)


def _card_text(card: ComplaintCard, settings: Settings, events: int = _EVENTS) -> str:
    c = card.complaint
    lines = [
        _("<b>Complaint {ticket}</b>").format(ticket=c.ticket),
        _("Company: {company}").format(company=html.escape(card.customer_name)),
        _("Contact: {contact}").format(contact=html.escape(person_name(card.contact_name or "—", _))),
        _("Category: {category}").format(category=_(COMPLAINT_CATEGORY_NAMES[c.category])),
        _("Department: {department}").format(department=_(ROLE_NAMES[c.department])),
        _("Status: {status}").format(status=_(COMPLAINT_STATUS_NAMES[c.status])),
        _("Filed: {date}").format(date=_when(c.created_at, settings)),
    ]
    if c.shipment_snapshot:
        lines.append(_("Shipment: {shipment}").format(shipment=_snapshot_text(c.shipment_snapshot, settings)))
    lines += [
        _("Files: {count}").format(count=card.attachment_count),
        "",
        html.escape(clip(c.description, 1500)),
        "",
        _("<b>History</b>"),
    ]
    lines += [_event_text(e, settings) for e in card.events[-events:]]
    if c.resolution:
        lines += ["", _("<b>Resolution</b>"), html.escape(clip(c.resolution, 500))]
    if c.root_cause:
        lines += ["", _("Root cause: {cause}").format(cause=_root_cause(c.root_cause))]
    if c.corrective_action:
        lines += [_("<b>Corrective action</b>"), html.escape(clip(c.corrective_action, 800))]
    if c.satisfaction:
        lines.append(_("Rating: {score} of 5").format(score=c.satisfaction))
    return "\n".join(lines)


def _root_cause(cause: str) -> str:
    """The desk's classification by name; a cause closed outside the desk's buttons as written."""
    return _(ROOT_CAUSE_NAMES[cause]) if cause in ROOT_CAUSE_NAMES else html.escape(cause)


def _snapshot_text(snapshot: dict[str, Any], settings: Settings) -> str:
    """The shipment as it was when the customer complained (vessel, voyage, last status, ETA)."""
    parts = [
        snapshot.get("bl_number") or snapshot.get("booking_ref"),
        " ".join(v for v in (snapshot.get("vessel_name"), snapshot.get("voyage")) if v),
        _cargo_status(snapshot.get("status")),
    ]
    if eta := snapshot.get("eta"):
        parts.append(_("ETA {date}").format(date=_when(dt.datetime.fromisoformat(eta), settings)))
    return html.escape(" · ".join(str(p) for p in parts if p))


def _cargo_status(value: str | None) -> str | None:
    try:
        return _(CARGO_EVENT_NAMES[CargoEventType(value)]) if value else None
    except ValueError:  # a snapshot older than today's vocabulary: show it as stored
        return value


def _event_text(event: ComplaintEvent, settings: Settings) -> str:
    if event.to_status is not None:
        what = _(COMPLAINT_STATUS_NAMES[event.to_status])
    else:
        what = {
            "note": _("Note"),
            "message": _("Customer's message"),
            "rating": _("Rating"),
            "assigned": _("Assigned"),
        }.get(event.kind, event.kind)
    text = f": {html.escape(clip(event.text, 150))}" if event.text else ""
    return f"{_when(event.at, settings)} — {what}{text}"


def _when(moment: dt.datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")


def build_router() -> Router:
    """Below the staff router, so only staff reach it."""
    router = Router(name=__name__)
    router.callback_query.register(open_card, StaffComplaintCard.filter())
    return router
