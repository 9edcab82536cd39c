"""The texts of leads: the /lead form's optional questions, /leads, and a lead's card."""

from __future__ import annotations

import html

from aiogram.fsm.state import State
from aiogram.utils.i18n import gettext as _

from bot.forms.lead import LeadForm
from portcrm.labels import CUSTOMER_TYPE_NAMES, LEAD_SOURCE_NAMES, LEAD_STATUS_NAMES
from portcrm.models import Lead
from portcrm.services.complaints.notices import clip


def prompt(step: State) -> str:
    texts = {
        LeadForm.contact.state: _("Contact person's name? Type it, or press Skip."),
        LeadForm.phone.state: _("Contact phone number? Type it, or press Skip."),
        LeadForm.volume.state: _("Expected yearly volume in TEU? Type a number, or press Skip."),
        LeadForm.notes.state: _(
            "Any notes (needs, routes, cargo)? Type them, or press Skip to save the lead."
        ),
    }
    return texts[str(step.state)]


def list_text(leads: list[Lead]) -> str:
    if not leads:
        return _("No open leads. Send /lead to record a prospect.")
    lines = [_("<b>Open leads</b> (newest first)")]
    for lead in leads:
        name = clip(lead.company_name, 60)
        status = _(LEAD_STATUS_NAMES[lead.status])
        lines.append(
            f"• #{lead.id} <b>{html.escape(name)}</b> · {status} · {_(LEAD_SOURCE_NAMES[lead.source])}"
        )
    return "\n".join(lines)


def card_text(lead: Lead) -> str:
    kind = _(CUSTOMER_TYPE_NAMES[lead.customer_type]) if lead.customer_type else "—"
    contact = " ".join(v for v in (lead.contact_name, lead.phone) if v) or "—"
    volume = str(lead.expected_volume_teu) if lead.expected_volume_teu is not None else "—"
    lines = [
        _("<b>Lead #{id}: {company}</b>").format(
            id=lead.id, company=html.escape(clip(lead.company_name, 200))
        ),
        _("Status: {status}").format(status=_(LEAD_STATUS_NAMES[lead.status])),
        _("Customer type: {type}").format(type=kind),
        _("Source: {source}").format(source=_(LEAD_SOURCE_NAMES[lead.source])),
        _("Contact: {contact}").format(contact=html.escape(contact)),
        _("Expected volume: {teu} TEU a year").format(teu=volume),
    ]
    if lead.notes:
        lines += ["", html.escape(clip(lead.notes, 2000))]
    return "\n".join(lines)
