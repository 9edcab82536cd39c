"""The push that tells a customer their box can be picked up, the moment the last hold or release arrives."""

from __future__ import annotations

import html
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.models import CargoEvent, Shipment
from portcrm.services.tracking.pushes import push_to_subscribers
from portcrm.services.tracking.release import Pickup, release_status
from portcrm.services.tracking.shipments import reference_of
from portcrm.settings import Locale

PICKUP_KIND = "pickup_available"


async def push_newly_available(
    session: AsyncSession,
    shipment: Shipment,
    before: Sequence[CargoEvent],
    after: Sequence[CargoEvent],
    *,
    payment_overdue: bool,
    tz: ZoneInfo,
    default_locale: Locale,
) -> int:
    """Tell the subscribers about each box that these events made available for pick-up.

    `payment_overdue` is the ledger's answer for the shipment, asked once for the whole batch by the caller.
    Keyed by the box and the newest event's time, so a box held and released again is told again.
    """
    if shipment.direction is not ShipmentDirection.IMPORT or len(after) == len(before):
        return 0
    was = _pickups(shipment, before, payment_overdue)
    now = _pickups(shipment, after, payment_overdue)
    boxes = [n for n, pickup in now.items() if pickup is Pickup.AVAILABLE and was.get(n) is not pickup]
    if not boxes:
        return 0
    newest = max(e.occurred_at for e in after)

    def text(locale: Locale) -> str:
        _ = gettext_for(locale)
        reference = html.escape(reference_of(shipment))
        return "\n".join(
            [
                "✅ " + _("<b>Ready for pick-up</b> · {reference}").format(reference=reference),
                _("Discharged, released by customs and by the carrier, no payment hold."),
                _("Containers: {numbers}").format(numbers=", ".join(boxes)),
            ]
        )

    return await push_to_subscribers(
        session,
        shipment,
        kind=PICKUP_KIND,
        key=f"pickup:{shipment.id}:{','.join(boxes)}:{newest:%Y%m%dT%H%M}",
        text=text,
        default_locale=default_locale,
    )


def _pickups(shipment: Shipment, events: Sequence[CargoEvent], overdue: bool) -> dict[str, Pickup]:
    numbers = [c.number for c in shipment.containers]
    status = release_status(shipment.direction, numbers, events, payment_overdue=overdue)
    return {box.number: box.pickup for box in status.boxes} if status else {}
