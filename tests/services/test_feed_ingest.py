"""Feed events into shipments: received once, matched, kept when unmatched, ordered, and pushed."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType as T
from portcrm.enums import ShipmentDirection, TimeClassifier
from portcrm.importing.runner import import_rows
from portcrm.models import (
    CargoEvent,
    Container,
    Customer,
    Notification,
    Shipment,
    ShipmentSubscription,
    UnmatchedFeedEvent,
)
from portcrm.services.tracking.feed_events import (
    FeedEvent,
    IngestResult,
    ingest_feed_events,
    match_waiting_events,
)
from portcrm.services.tracking.release import Pickup, Release, release_status
from tests.factories import container_number, make_contact, make_customer, make_invoice, make_shipment
from tests.importing.support import IMPORTER, table

PORT_TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def feed_event(event_type: T, at: dt.datetime = T0, **kw: object) -> FeedEvent:
    return FeedEvent(
        source=str(kw.pop("source", "dcsa:test")),
        event_id=str(kw.pop("event_id", f"ev-{next(_ids)}")),
        event_type=event_type,
        occurred_at=at,
        **kw,  # type: ignore[arg-type]
    )


async def ingest(session: AsyncSession, *events: FeedEvent) -> IngestResult:
    return await ingest_feed_events(
        session, events, tz=PORT_TZ, default_locale="en", eta_change=dt.timedelta(hours=6)
    )


async def import_shipment(session: AsyncSession, box: str, **kw: object) -> Shipment:
    """An import shipment with one box and one subscribed, linked contact."""
    customer = await make_customer(session)
    contact = await make_contact(session, customer, telegram_user_id=kw.pop("telegram_user_id", 880_000))
    shipment = await make_shipment(session, customer, direction=ShipmentDirection.IMPORT, **kw)
    session.add(Container(shipment_id=shipment.id, number=box, size_type="45G1"))
    session.add(ShipmentSubscription(contact_id=contact.id, shipment_id=shipment.id))
    await session.commit()
    return shipment


async def count(session: AsyncSession, model: type, *where: object) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def notifications(session: AsyncSession, kind: str) -> list[Notification]:
    return list(await session.scalars(select(Notification).where(Notification.kind == kind)))


class TestReceivedOnce:
    async def test_a_box_event_is_recorded_on_its_shipment_and_pushed(self, session: AsyncSession) -> None:
        box = container_number()
        shipment = await import_shipment(session, box)
        result = await ingest(session, feed_event(T.DISCHARGED, container_number=box, location="CNNGB"))
        assert (result.recorded, result.repeated, result.unmatched) == (1, 0, 0)
        stored = await session.get(Shipment, shipment.id, populate_existing=True)
        assert stored is not None
        assert stored.status is T.DISCHARGED
        assert stored.location == "CNNGB"
        assert len(await notifications(session, "cargo_event")) == 1

    async def test_a_replayed_batch_changes_nothing(self, session: AsyncSession) -> None:
        box = container_number()
        await import_shipment(session, box)
        batch = [feed_event(T.DISCHARGED, container_number=box), feed_event(T.GATE_OUT, T0 + dt.timedelta(1))]
        await ingest(session, *batch)
        events, pushes = await count(session, CargoEvent), await count(session, Notification)
        again = await ingest(session, *batch)
        assert (again.received, again.recorded, again.repeated) == (2, 0, 2)
        assert (await count(session, CargoEvent), await count(session, Notification)) == (events, pushes)

    async def test_the_same_event_from_two_feeds_is_one_event(self, session: AsyncSession) -> None:
        box = container_number()
        await import_shipment(session, box)
        await ingest(session, feed_event(T.DISCHARGED, container_number=box, source="dcsa:a"))
        second = await ingest(session, feed_event(T.DISCHARGED, container_number=box, source="edi:TERM"))
        assert (second.recorded, second.repeated) == (0, 1)
        assert await count(session, CargoEvent) == 1


class TestOrder:
    async def test_an_older_event_arriving_late_does_not_overwrite_the_newer_state(
        self, session: AsyncSession
    ) -> None:
        box = container_number()
        shipment = await import_shipment(session, box)
        await ingest(session, feed_event(T.GATE_OUT, T0 + dt.timedelta(days=2), container_number=box))
        await ingest(session, feed_event(T.DISCHARGED, T0, container_number=box))
        stored = await session.get(Shipment, shipment.id, populate_existing=True)
        assert stored is not None
        assert stored.status is T.GATE_OUT

    async def test_a_later_estimate_wins_whatever_order_they_arrive_in_and_the_actual_settles_it(
        self, session: AsyncSession
    ) -> None:
        shipment = await import_shipment(
            session, container_number(), vessel_imo="9321483", voyage="078E", eta=T0
        )
        call = {"vessel_imo": "9321483", "voyage": "078E", "classifier": TimeClassifier.ESTIMATED}
        newer = feed_event(T.VESSEL_ARRIVED, T0 + dt.timedelta(hours=10), reported_at=T0, **call)
        older = feed_event(
            T.VESSEL_ARRIVED, T0 + dt.timedelta(hours=2), reported_at=T0 - dt.timedelta(days=1), **call
        )
        assert (await ingest(session, newer)).recorded == 1
        assert (await ingest(session, older)).superseded == 1
        stored = await session.get(Shipment, shipment.id, populate_existing=True)
        assert stored is not None
        assert stored.eta == T0 + dt.timedelta(hours=10)
        # moved by 10 hours, more than the 6 configured: one push, however often it is said
        assert len(await notifications(session, "eta_change")) == 1

        actual = feed_event(
            T.VESSEL_ARRIVED, T0 + dt.timedelta(hours=11), **{**call, "classifier": TimeClassifier.ACTUAL}
        )
        later_estimate = feed_event(
            T.VESSEL_ARRIVED, T0 + dt.timedelta(days=3), reported_at=T0 + dt.timedelta(days=1), **call
        )
        await ingest(session, actual)
        assert (await ingest(session, later_estimate)).superseded == 1
        stored = await session.get(Shipment, shipment.id, populate_existing=True)
        assert stored is not None
        assert stored.ata == T0 + dt.timedelta(hours=11)
        assert stored.eta == T0 + dt.timedelta(hours=10)

    async def test_a_small_move_of_the_arrival_is_not_pushed(self, session: AsyncSession) -> None:
        await import_shipment(session, container_number(), vessel_imo="9321483", voyage="079W", eta=T0)
        await ingest(
            session,
            feed_event(
                T.VESSEL_ARRIVED,
                T0 + dt.timedelta(hours=5),
                classifier=TimeClassifier.ESTIMATED,
                vessel_imo="9321483",
                voyage="079W",
            ),
        )
        assert await notifications(session, "eta_change") == []


class TestUnmatched:
    async def test_an_event_for_an_unknown_box_waits_and_is_recorded_when_the_shipment_comes(
        self, session: AsyncSession
    ) -> None:
        box = container_number()
        result = await ingest(session, feed_event(T.DISCHARGED, container_number=box))
        assert result.unmatched == 1
        assert await count(session, UnmatchedFeedEvent) == 1
        shipment = await import_shipment(session, box)
        loaded = await session.get(Shipment, shipment.id, populate_existing=True)
        assert loaded is not None
        matched = await match_waiting_events(session, [loaded], tz=PORT_TZ, default_locale="en")
        await session.commit()
        assert matched == 1
        assert await count(session, CargoEvent, CargoEvent.shipment_id == shipment.id) == 1
        assert await count(session, UnmatchedFeedEvent, UnmatchedFeedEvent.matched_at.is_(None)) == 0

    async def test_importing_the_manifest_records_the_events_that_came_before_it(
        self, session: AsyncSession
    ) -> None:
        box = container_number()
        customer = await make_customer(session)
        await session.commit()
        await ingest(session, feed_event(T.DISCHARGED, container_number=box))
        report = await import_rows(
            session,
            "shipments",
            table(
                "customer_code,bl_number,direction,cargo_description,containers\n"
                f"{customer.code},COSU6309998880,import,Machinery,{box}"
            ),
            actor=IMPORTER,
            tz=PORT_TZ,
            default_locale="en",
        )
        assert report.ok, report.errors
        shipment = await session.scalar(select(Shipment).where(Shipment.bl_number == "COSU6309998880"))
        assert shipment is not None
        assert shipment.status is T.DISCHARGED
        assert await count(session, UnmatchedFeedEvent, UnmatchedFeedEvent.matched_at.is_(None)) == 0


class TestPickUp:
    async def test_a_box_discharged_and_released_twice_is_pushed_as_ready_once(
        self, session: AsyncSession
    ) -> None:
        box = container_number()
        shipment = await import_shipment(session, box, bl_number="COSU6301234560")
        refs = {"references": ("COSU6301234560",)}
        await ingest(session, feed_event(T.DISCHARGED, container_number=box))
        await ingest(session, feed_event(T.CUSTOMS_RELEASED, T0 + dt.timedelta(hours=1), **refs))
        assert await notifications(session, "pickup_available") == []
        await ingest(session, feed_event(T.CARRIER_RELEASED, T0 + dt.timedelta(hours=2), **refs))
        ready = await notifications(session, "pickup_available")
        assert len(ready) == 1
        assert box in ready[0].text
        events = list(await session.scalars(select(CargoEvent).where(CargoEvent.shipment_id == shipment.id)))
        status = release_status(ShipmentDirection.IMPORT, [box], events, payment_overdue=False)
        assert status is not None
        assert status.boxes[0].pickup is Pickup.AVAILABLE

    async def test_an_overdue_invoice_for_the_shipment_holds_the_box(self, session: AsyncSession) -> None:
        box = container_number()
        shipment = await import_shipment(session, box, bl_number="COSU6301234561")
        customer = await session.get(Customer, shipment.customer_id)
        assert customer is not None
        await make_invoice(session, customer, shipment_id=shipment.id, due_on=dt.date(2026, 1, 1))
        await session.commit()
        refs = {"references": ("COSU6301234561",)}
        await ingest(
            session,
            feed_event(T.DISCHARGED, container_number=box),
            feed_event(T.CUSTOMS_RELEASED, T0 + dt.timedelta(hours=1), **refs),
            feed_event(T.CARRIER_RELEASED, T0 + dt.timedelta(hours=2), **refs),
        )
        assert await notifications(session, "pickup_available") == []

    def test_a_release_reported_late_lifts_an_earlier_hold_and_a_box_event_holds_one_box(self) -> None:
        class E:
            def __init__(self, event_type: T, hours: int, box: str = "") -> None:
                self.event_type, self.container_number = event_type, box
                self.occurred_at = T0 + dt.timedelta(hours=hours)

        events = [
            E(T.CUSTOMS_RELEASED, 3),  # reported first, happened last
            E(T.DISCHARGED, 0),
            E(T.CUSTOMS_HOLD, 1),
            E(T.CARRIER_RELEASED, 2),
            E(T.CUSTOMS_HOLD, 4, "BOX2"),
        ]
        status = release_status(ShipmentDirection.IMPORT, ["BOX1", "BOX2"], events, payment_overdue=False)
        assert status is not None
        one, two = status.boxes
        assert (one.pickup, one.customs) == (Pickup.AVAILABLE, Release.RELEASED)
        assert (two.pickup, two.customs) == (Pickup.HELD, Release.HELD)
        assert release_status(ShipmentDirection.EXPORT, ["BOX1"], events, payment_overdue=False) is None
