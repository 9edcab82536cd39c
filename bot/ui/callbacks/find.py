"""Callback data of /find: open a customer's card or history, and turn or filter the history's pages.

Ids and codes only (never names): the service checks the pressing user is staff, and that the section asked
for is theirs to read, before anything is shown.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.services.archive.fields import Section


class CustomerOpen(CallbackData, prefix="fcard"):
    customer_id: int


class CustomerHistory(CallbackData, prefix="fhist"):
    """Opens the first page of the history as a new message, under the card or list it was pressed on."""

    customer_id: int


class CustomerHistoryPage(CallbackData, prefix="fhpg"):
    """◀ ▶ and the section filters on a history message: the page is turned in place."""

    customer_id: int
    page: int
    section: Section | None = None  # every section the viewer reads
