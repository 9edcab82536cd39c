"""Callback data of staff exports: which one; the service checks the presser's roles again."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.services.exports.staff import StaffExport


class ExportChoice(CallbackData, prefix="xprt"):
    kind: StaffExport
