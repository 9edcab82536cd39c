"""Pushes of new cargo events to the contacts who subscribed to their shipment, through the outbox.

Called by the cargo events service (events.py) in the transaction that writes the events, so a push exists
exactly when its event does; the key per event and contact makes any re-run enqueue nothing twice. Each push
is in its contact's language (chosen in chat or in the archive, else Telegram's), else the configured default.
"""

from __future__ import annotations

import html
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.messaging import outbox
from portcrm.models import CargoEvent, ChatUser, Contact, Shipment, ShipmentSubscription
from portcrm.port_time import format_port_time
from portcrm.services.recipients.language import recipient_locale
from portcrm.services.tracking.shipments import reference_of
from portcrm.settings import Locale

log = logging.getLogger(__name__)

KIND = "cargo_event"
# The chat edge's "open this shipment" button (bot/ui/callbacks/tracking.py) packs to the same text.
OPEN_SHIPMENT_PREFIX = "trk"
_CHUNK = 500  # below SQLite's bound-variable limit
HOLDS = frozenset({CargoEventType.CUSTOMS_HOLD, CargoEventType.CARRIER_HOLD, CargoEventType.PAYMENT_HOLD})


def open_shipment_data(shipment_id: int) -> str:
    return f"{OPEN_SHIPMENT_PREFIX}:{shipment_id}"


@dataclass(frozen=True, slots=True)
class Subscriber:
    contact_id: int
    chat_id: int
    locale: Locale


async def notify_subscribers(
    session: AsyncSession,
    events: Iterable[CargoEvent],
    *,
    tz: ZoneInfo,
    default_locale: Locale,
) -> int:
    """Enqueue one message per new event and subscribed contact; returns how many were enqueued.

    Pass only events created in this transaction (with ids: flush first). Nothing is committed here.
    """
    by_shipment: dict[int, list[CargoEvent]] = defaultdict(list)
    for event in events:
        by_shipment[event.shipment_id].append(event)
    recipients = await subscribers(session, sorted(by_shipment), default_locale)
    enqueued = 0
    for shipment_id, contacts in recipients.items():
        shipment = await session.get(Shipment, shipment_id)
        assert shipment is not None  # the subscription's foreign key
        for event in sorted(by_shipment[shipment_id], key=lambda e: (e.occurred_at, e.id)):
            for recipient in contacts:
                _ = gettext_for(recipient.locale)
                enqueued += await outbox.enqueue(
                    session,
                    key=f"cargo:{event.id}:{recipient.contact_id}",
                    kind=KIND,
                    chat_id=recipient.chat_id,
                    contact_id=recipient.contact_id,
                    text=_push_text(shipment, event, tz, recipient.locale),
                    reply_markup=outbox.inline_keyboard([(_("Open"), open_shipment_data(shipment_id))]),
                )
    if enqueued:
        log.info("enqueued %d cargo update(s) for %d shipment(s)", enqueued, len(recipients))
    return enqueued


async def push_to_subscribers(
    session: AsyncSession,
    shipment: Shipment,
    *,
    kind: str,
    key: str,
    text: Callable[[Locale], str],
    default_locale: Locale,
) -> int:
    """Enqueue one message about `shipment` per subscriber, in each one's language; `key` names the news
    (the contact is added to it), so the same news is enqueued once. Returns how many were enqueued."""
    enqueued = 0
    for recipient in (await subscribers(session, [shipment.id], default_locale)).get(shipment.id, []):
        _ = gettext_for(recipient.locale)
        enqueued += await outbox.enqueue(
            session,
            key=f"{key}:{recipient.contact_id}",
            kind=kind,
            chat_id=recipient.chat_id,
            contact_id=recipient.contact_id,
            text=text(recipient.locale),
            reply_markup=outbox.inline_keyboard([(_("Open"), open_shipment_data(shipment.id))]),
        )
    return enqueued


async def subscribers(
    session: AsyncSession, shipment_ids: Sequence[int], default_locale: Locale
) -> dict[int, list[Subscriber]]:
    """Subscribed contacts with a linked Telegram account, still of the shipment's company, per shipment.

    Every push about a shipment (its events, its free time, its pick-up) goes to these.
    """
    found: dict[int, list[Subscriber]] = defaultdict(list)
    for start in range(0, len(shipment_ids), _CHUNK):
        rows = await session.execute(
            select(
                ShipmentSubscription.shipment_id,
                Contact.id,
                Contact.telegram_user_id,
                Contact.locale,
                ChatUser,
            )
            .join(Contact, Contact.id == ShipmentSubscription.contact_id)
            .join(Shipment, Shipment.id == ShipmentSubscription.shipment_id)
            .outerjoin(ChatUser, ChatUser.telegram_user_id == Contact.telegram_user_id)
            .where(
                ShipmentSubscription.shipment_id.in_(shipment_ids[start : start + _CHUNK]),
                Contact.customer_id == Shipment.customer_id,
                Contact.telegram_user_id.is_not(None),
            )
            .order_by(ShipmentSubscription.shipment_id, Contact.id)
        )
        for shipment_id, contact_id, chat_id, contact_locale, chat_user in rows:
            locale = recipient_locale(chat_user, contact_locale, default_locale)
            found[shipment_id].append(Subscriber(contact_id, chat_id, locale))
    return found


def _push_text(shipment: Shipment, event: CargoEvent, tz: ZoneInfo, locale: Locale) -> str:
    _ = gettext_for(locale)
    label = html.escape(_(CARGO_EVENT_NAMES[event.event_type]))
    lines = [
        "🔔 " + _("<b>Cargo update</b> · {reference}").format(reference=html.escape(reference_of(shipment))),
        f"<b>{label}</b> — {format_port_time(event.occurred_at, tz, locale)}",
    ]
    if event.event_type in HOLDS:
        lines.append("⚠️ " + _("The cargo cannot be picked up until this hold is lifted."))
    if event.location:
        lines.append(_("Location: {location}").format(location=html.escape(event.location)))
    if event.container_number:
        lines.append(_("Container: {container}").format(container=event.container_number))
    if shipment.vessel_name:
        vessel = " ".join(filter(None, (shipment.vessel_name, shipment.voyage)))
        lines.append(_("Vessel: {vessel}").format(vessel=html.escape(vessel)))
    return "\n".join(lines)
