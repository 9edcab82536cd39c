"""Callback data of a customer's account screens: no ids, the presser's own company is the one meant."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class StatementFile(CallbackData, prefix="bstm"):
    """The statement of account as an .xlsx file."""
