"""Callback data of /find: open a customer's card or history, and turn the history's pages.

Ids only (never names): the service checks the pressing user is staff before anything is shown.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class CustomerOpen(CallbackData, prefix="fcard"):
    customer_id: int


class CustomerHistory(CallbackData, prefix="fhist"):
    """Opens the first page of the history as a new message, under the card or list it was pressed on."""

    customer_id: int


class CustomerHistoryPage(CallbackData, prefix="fhpg"):
    """◀ ▶ on a history message: the page is turned in place."""

    customer_id: int
    page: int
