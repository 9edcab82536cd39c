"""Callback data of cargo status: open a shipment's card, turn a page of /shipments, (un)subscribe.

Ids only: the service checks each shipment id against the pressing contact's company.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.services.tracking.pushes import OPEN_SHIPMENT_PREFIX


class ShipmentOpen(CallbackData, prefix=OPEN_SHIPMENT_PREFIX):
    """Also built by the core for the "Open" button of pushed updates (`open_shipment_data`)."""

    shipment_id: int


class ShipmentsPage(CallbackData, prefix="trkp"):
    page: int


class SubscriptionToggle(CallbackData, prefix="trks"):
    """The wanted state, not a flip: a doubled or stale press cannot undo the first one."""

    shipment_id: int
    on: bool
