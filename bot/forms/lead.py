"""The lead form and the lead cards: states, keyboards and texts (the draft is JSON in the FSM data)."""

from __future__ import annotations

import html
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.forms.drafts import Draft
from bot.ui.callbacks.leads import (
    LeadConvert,
    LeadConvertType,
    LeadOpen,
    LeadSkip,
    LeadSourceChoice,
    LeadStatusChange,
    LeadTypeChoice,
)
from portcrm.enums import CustomerType, LeadSource
from portcrm.labels import CUSTOMER_TYPE_NAMES, LEAD_SOURCE_NAMES, LEAD_STATUS_NAMES
from portcrm.models import Lead
from portcrm.services.complaints.notices import clip
from portcrm.services.development.leads import SETTABLE_STATUSES, LeadDraft

DRAFT = Draft("lead")
CONVERT = Draft("convert")  # the lead being made a customer, and the code typed for it


class LeadForm(StatesGroup):
    company = State()
    type = State()
    source = State()
    contact = State()
    phone = State()
    volume = State()
    notes = State()


class LeadConvertForm(StatesGroup):
    code = State()
    type = State()


# the optional questions after the source, in order; each may be skipped
OPTIONAL_STEPS = (LeadForm.contact, LeadForm.phone, LeadForm.volume, LeadForm.notes)


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


def to_draft(draft: dict[str, Any]) -> LeadDraft:
    kind = draft.get("customer_type")
    return LeadDraft(
        company_name=draft["company_name"],
        source=LeadSource(draft["source"]),
        customer_type=CustomerType(kind) if kind else None,
        contact_name=draft.get("contact_name"),
        phone=draft.get("phone"),
        expected_volume_teu=draft.get("expected_volume_teu"),
        notes=draft.get("notes"),
    )


def skip_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=LeadSkip())
    return builder.as_markup()


def type_keyboard(*, for_conversion: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in CustomerType:
        data = (
            LeadConvertType(customer_type=kind)
            if for_conversion
            else LeadTypeChoice(customer_type=kind.value)
        )
        builder.button(text=_(CUSTOMER_TYPE_NAMES[kind]), callback_data=data)
    if not for_conversion:
        builder.button(text=_("Skip"), callback_data=LeadTypeChoice(customer_type=""))
    builder.adjust(2)
    return builder.as_markup()


def source_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for source in LeadSource:
        builder.button(text=_(LEAD_SOURCE_NAMES[source]), callback_data=LeadSourceChoice(source=source))
    builder.adjust(2)
    return builder.as_markup()


def list_view(leads: list[Lead]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not leads:
        return _("No open leads. Send /lead to record a prospect."), None
    lines = [_("<b>Open leads</b> (newest first)")]
    builder = InlineKeyboardBuilder()
    for lead in leads:
        name = clip(lead.company_name, 60)
        status = _(LEAD_STATUS_NAMES[lead.status])
        lines.append(
            f"• #{lead.id} <b>{html.escape(name)}</b> · {status} · {_(LEAD_SOURCE_NAMES[lead.source])}"
        )
        builder.button(
            text=clip(f"#{lead.id} {lead.company_name}", 40), callback_data=LeadOpen(lead_id=lead.id)
        )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


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


def card_keyboard(lead: Lead) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    statuses = [status for status in SETTABLE_STATUSES if status != lead.status]
    for status in statuses:
        builder.button(
            text=_(LEAD_STATUS_NAMES[status]), callback_data=LeadStatusChange(lead_id=lead.id, status=status)
        )
    builder.button(text=_("Convert to customer"), callback_data=LeadConvert(lead_id=lead.id))
    builder.adjust(len(statuses), 1)
    return builder.as_markup()
