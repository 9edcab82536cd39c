"""Callback data of paused forms: continue, start over or discard one (bot/handlers/paused_forms.py)."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class PausedStep(enum.StrEnum):
    CONTINUE = "c"
    START_OVER = "s"
    DISCARD = "d"


class PausedFormAction(CallbackData, prefix="pfm"):
    step: PausedStep
    form: str  # the states group; checked against the presser's own shelf, where a forged one is absent
