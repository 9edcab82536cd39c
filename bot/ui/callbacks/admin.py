"""Callback data of the admin screens: staff cards and the broadcast form (ids and codes only)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.enums import Role


class StaffOpen(CallbackData, prefix="sfop"):
    staff_id: int


class StaffRoleToggle(CallbackData, prefix="sfrl"):
    staff_id: int
    role: Role


class StaffActive(CallbackData, prefix="sfac"):
    staff_id: int
    active: bool


class BroadcastType(CallbackData, prefix="bctp"):
    customer_type: str  # a CustomerType value, or "all"


class BroadcastGrade(CallbackData, prefix="bcgr"):
    grade: str  # a Grade value, or "all"


class BroadcastConfirm(CallbackData, prefix="bcok"):
    pass


class BroadcastCancel(CallbackData, prefix="bcno"):
    pass
