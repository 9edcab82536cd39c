"""The texts of the customer's complaint form: a shipment's label, the files prompt and the summary."""

from __future__ import annotations

import html
from typing import Any

from aiogram.utils.i18n import gettext as _

from portcrm.enums import ComplaintCategory
from portcrm.labels import COMPLAINT_CATEGORY_NAMES
from portcrm.models import Shipment
from portcrm.services.complaints.intake import MAX_ATTACHMENTS
from portcrm.services.complaints.notices import clip

_SUMMARY_DESCRIPTION = 3500  # the rest of the summary fits in the other ~600 characters of a message


def shipment_label(shipment: Shipment) -> str:
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
