"""Callback data of the manager's screens: grade proposals (ids only, never names)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class GradesPage(CallbackData, prefix="grpg"):
    page: int


class GradeDecision(CallbackData, prefix="grdc"):
    evaluation_id: int
    approve: bool
