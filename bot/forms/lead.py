"""The lead form and the conversion of a lead to a customer: states and drafts (JSON in the FSM data)."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft
from portcrm.enums import CustomerType, LeadSource
from portcrm.services.development.leads import LeadDraft

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
