"""The customer's complaint texts: the form's shipment label, files prompt and summary, and the card.

The card shows the customer what concerns them: the status and its history, our question while it waits
for them, the resolution, and once closed the corrective action as "what we changed". The root cause is the
port's internal classification and stays on the staff's card.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from aiogram.utils.i18n import gettext as _

from portcrm.enums import ComplaintCategory, ComplaintStatus
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, COMPLAINT_STATUS_NAMES
from portcrm.models import Shipment
from portcrm.services.complaints.cards import ComplaintCard
from portcrm.services.complaints.intake import MAX_ATTACHMENTS, ShipmentChoice
from portcrm.services.complaints.notices import clip

_SUMMARY_DESCRIPTION = 3500  # the rest of the summary fits in the other ~600 characters of a message
_TIMELINE = (20, 8, 3)  # the latest status changes a card shows, fewer when the texts are long
_BUDGET = 3900  # of the 4096 characters a message holds


def shipment_label(shipment: Shipment | ShipmentChoice) -> str:
    reference = shipment.bl_number or shipment.booking_ref or f"#{shipment.id}"
    vessel = " ".join(v for v in (shipment.vessel_name, shipment.voyage) if v)
    return clip(f"{reference} · {vessel}" if vessel else reference, 60)


def files_prompt(count: int) -> str:
    if count == 0:
        return _(
            "You can add up to {limit} photos or documents (for example of the damage or the papers). "
            "Send them now, or press Skip."
        ).format(limit=MAX_ATTACHMENTS)
    return _("Received {count} of at most {limit} files. Send more, or press Done.").format(
        count=count, limit=MAX_ATTACHMENTS
    )


def summary(draft: dict[str, Any]) -> str:
    """Everything the complaint will say, escaped, within one message."""
    category = _(COMPLAINT_CATEGORY_NAMES[ComplaintCategory(draft["category"])])
    shipment = html.escape(draft.get("shipment_label") or _("none"))
    return "\n".join(
        [
            _("<b>Please check your complaint</b>"),
            _("Category: {category}").format(category=category),
            _("Shipment: {shipment}").format(shipment=shipment),
            _("Files: {count}").format(count=len(draft.get("attachments") or [])),
            "",
            html.escape(clip(draft["description"], _SUMMARY_DESCRIPTION)),
            "",
            _("Press Submit to send it to the port, or Cancel to discard it."),
        ]
    )


def customer_card_text(card: ComplaintCard, tz: dt.tzinfo) -> str:
    """The complaint as its customer sees it, within one message (a long history gives way)."""
    text = ""
    for steps in _TIMELINE:
        text = _customer_card(card, tz, steps)
        if len(text) <= _BUDGET:
            break
    return text


def _customer_card(card: ComplaintCard, tz: dt.tzinfo, timeline: int) -> str:
    c = card.complaint
    lines = [
        _("<b>Complaint {ticket}</b>").format(ticket=c.ticket),
        _("Category: {category}").format(category=_(COMPLAINT_CATEGORY_NAMES[c.category])),
        _("Status: {status}").format(status=_(COMPLAINT_STATUS_NAMES[c.status])),
        "",
        html.escape(clip(c.description, 1200)),
        "",
        _("<b>History</b>"),
    ]
    steps = [e for e in card.events if e.to_status is not None][-timeline:]
    for event in steps:
        assert event.to_status is not None
        lines.append(f"{card_date(event.at, tz, time=True)} — {_(COMPLAINT_STATUS_NAMES[event.to_status])}")
    if c.status == ComplaintStatus.AWAITING_CUSTOMER and steps and steps[-1].text:
        lines += ["", _("<b>Our question</b>"), html.escape(clip(steps[-1].text, 1000))]
    if c.resolution:
        lines += ["", _("<b>Resolution</b>"), html.escape(clip(c.resolution, 1000))]
    if c.status == ComplaintStatus.CLOSED and c.corrective_action:
        lines += ["", _("<b>What we changed</b>"), html.escape(clip(c.corrective_action, 1000))]
    if c.satisfaction:
        lines += ["", _("Your rating: {score} of 5").format(score=c.satisfaction)]
    return "\n".join(lines)


def card_date(moment: dt.datetime, tz: dt.tzinfo, *, time: bool = False) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")
