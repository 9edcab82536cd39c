"""Callback data of the marketer's invite screen."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class InviteContact(CallbackData, prefix="invc"):
    contact_id: int
