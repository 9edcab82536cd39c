"""Callback data of the admin screens: staff cards and the broadcast form (ids and codes only)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.enums import Role

ALL = "all"  # a broadcast's segment not narrowed by type, or by grade (kept so in the form's draft too)


class StaffOpen(CallbackData, prefix="sfop"):
    staff_id: int


class StaffRoleToggle(CallbackData, prefix="sfrl"):
    staff_id: int
    role: Role


class StaffActive(CallbackData, prefix="sfac"):
    staff_id: int
    active: bool


class BroadcastType(CallbackData, prefix="bctp"):
    customer_type: str  # a CustomerType value, or ALL


class BroadcastGrade(CallbackData, prefix="bcgr"):
    grade: str  # a Grade value, or ALL


class BroadcastConfirm(CallbackData, prefix="bcok"):
    pass


class BroadcastCancel(CallbackData, prefix="bcno"):
    pass
