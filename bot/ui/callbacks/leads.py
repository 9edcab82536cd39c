"""Callback data of leads: the /lead form's choices and the buttons of /leads (ids only, never names)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.enums import CustomerType, LeadSource, LeadStatus


class LeadTypeChoice(CallbackData, prefix="ltyp"):
    customer_type: str  # a CustomerType value, or "" to skip


class LeadSourceChoice(CallbackData, prefix="lsrc"):
    source: LeadSource


class LeadSkip(CallbackData, prefix="lskp"):
    """Skips the form's current optional question."""


class LeadOpen(CallbackData, prefix="lopn"):
    lead_id: int


class LeadStatusChange(CallbackData, prefix="lsts"):
    lead_id: int
    status: LeadStatus


class LeadConvert(CallbackData, prefix="lcnv"):
    lead_id: int


class LeadConvertType(CallbackData, prefix="lcvt"):
    customer_type: CustomerType
