"""Callback data of /edit and /contact: ids and short field codes only; the service re-checks every press."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ArchiveFieldPick(CallbackData, prefix="arf"):
    customer_id: int
    code: str


class ContactPick(CallbackData, prefix="acp"):
    contact_id: int


class ContactFieldPick(CallbackData, prefix="acf"):
    contact_id: int
    code: str


class ContactAdd(CallbackData, prefix="aca"):
    customer_id: int


class ArchiveValue(CallbackData, prefix="arv"):
    value: str


class ArchiveConfirm(CallbackData, prefix="ark"):
    save: bool
