"""What the hotline form shows the colleague logging a call: the summary before it is logged."""

from __future__ import annotations

import html
from typing import Any

from aiogram.utils.i18n import gettext as _

from portcrm.enums import ComplaintCategory
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, person_name
from portcrm.services.complaints.notices import clip

_SUMMARY_DESCRIPTION = 3000


def call_summary(draft: dict[str, Any]) -> str:
    """Everything the complaint will say, escaped, within one message."""
    category = _(COMPLAINT_CATEGORY_NAMES[ComplaintCategory(draft["category"])])
    caller = person_name(draft.get("caller_name") or "", _) or _("someone who is not a listed contact")
    return "\n".join(
        [
            _("<b>Please check the complaint taken by phone</b>"),
            _("Company: {company}").format(company=html.escape(draft["customer_name"])),
            _("Caller: {caller}").format(caller=html.escape(caller)),
            _("Category: {category}").format(category=category),
            _("Shipment: {shipment}").format(shipment=html.escape(draft.get("shipment_label") or _("none"))),
            "",
            html.escape(clip(draft["description"], _SUMMARY_DESCRIPTION)),
            "",
            _("Press Log it to file it for the customer, or Cancel to discard it."),
        ]
    )
