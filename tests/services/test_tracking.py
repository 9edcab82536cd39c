"""Cargo status services: lookups scoped to the customer, pages of active shipments, and pushed updates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.errors import Conflict, DomainError, InvalidInput, NotFound
from portcrm.i18n import gettext_for
from portcrm.importing import import_file
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.models import CargoEvent, ChatUser, Container, Customer, Notification, Shipment
from portcrm.services.identity.users import Identity
from portcrm.services.tracking import shipments as tracking
from portcrm.services.tracking.events import record_cargo_event
from portcrm.services.tracking.pushes import open_shipment_data
from portcrm.settings import Locale
from tests.factories import container_number, make_contact, make_customer, make_shipment, make_staff
from tests.importing.support import DEFAULT_LOCALE, IMPORTER

PORT_TZ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 at the port
TODAY = AT.astimezone(PORT_TZ).date()


async def _customer_identity(session: AsyncSession, telegram_user_id: int, locale: Locale = "en") -> Identity:
    customer = await make_customer(session)
    contact = await make_contact(session, customer, telegram_user_id=telegram_user_id)
    return Identity(telegram_user_id, locale, contact_id=contact.id, customer_id=customer.id)


async def _customer(session: AsyncSession, identity: Identity) -> Customer:
    customer = await session.get(Customer, identity.customer_id)
    assert customer is not None
    return customer


async def _error(call: Awaitable[object]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await call
    return raised.value


class TestLookup:
    async def test_finds_a_shipment_by_bl_booking_or_container_however_it_is_typed(
        self, session: AsyncSession
    ) -> None:
        me = await _customer_identity(session, 7001)
        box = container_number("MSKU", 123456)
        shipment = await make_shipment(
            session,
            await _customer(session, me),
            bl_number="OOLU2741538960",
            booking_ref="BKG2611009",
            containers=[Container(number=box)],
        )
        await session.commit()
        spaced = f"{box[:4].lower()} {box[4:10]}-{box[10]}"
        for typed in (" oolu 2741538960 ", "bkg2611009", spaced, box):
            card = await tracking.track(session, me, typed, today=TODAY)
            assert card.shipment_id == shipment.id, typed
            assert card.containers[0].number == box

    async def test_another_companys_shipment_is_reported_exactly_like_a_missing_one(
        self, session: AsyncSession
    ) -> None:
        me = await _customer_identity(session, 7002)
        other = await make_customer(session)
        theirs = await make_shipment(
            session,
            other,
            bl_number="COSU6389012450",
            containers=[Container(number=container_number("CSNU", 654321))],
        )
        await session.commit()
        missing = await _error(tracking.track(session, me, "COSU0000000000", today=TODAY))
        answers = [
            await _error(tracking.track(session, me, "COSU6389012450", today=TODAY)),
            await _error(tracking.track(session, me, container_number("CSNU", 654321), today=TODAY)),
            await _error(tracking.status_card(session, me, theirs.id, today=TODAY)),
            await _error(tracking.status_card(session, me, 10**30, today=TODAY)),
            await _error(tracking.set_subscription(session, me, theirs.id, True, today=TODAY)),
        ]
        assert isinstance(missing, NotFound)
        for answer in answers:
            assert (type(answer), answer.message, answer.params) == (type(missing), missing.message, {})

    async def test_a_reused_container_number_shows_the_most_recent_active_shipment(
        self, session: AsyncSession
    ) -> None:
        me = await _customer_identity(session, 7003)
        customer, box = await _customer(session, me), container_number("TGHU", 777)
        older = await make_shipment(session, customer, containers=[Container(number=box)])
        newer = await make_shipment(session, customer, containers=[Container(number=box)])
        await make_shipment(session, customer, completed=True, containers=[Container(number=box)])
        older.created_at, newer.created_at = AT, AT + dt.timedelta(days=30)
        await session.commit()
        assert (await tracking.track(session, me, box, today=TODAY)).shipment_id == newer.id

    async def test_a_mistyped_container_and_plain_words_get_clear_errors(self, session: AsyncSession) -> None:
        me = await _customer_identity(session, 7004)
        box = container_number("MSKU", 42)
        wrong_digit = box[:10] + str((int(box[10]) + 1) % 10)
        mistyped = await _error(tracking.track(session, me, wrong_digit, today=TODAY))
        assert isinstance(mistyped, InvalidInput)
        assert "check digit" in mistyped.message
        words = await _error(tracking.track(session, me, "where is my cargo?", today=TODAY))
        assert isinstance(words, InvalidInput)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("MSKU 123456-5", True),
            ("OOLU2741538960", True),
            ("bkg2611009", True),
            ("123456789", True),
            ("hello", False),
            ("thanks 1234", False),
            ("谢谢", False),
            ("ok", False),
        ],
    )
    def test_only_a_number_on_its_own_reads_as_an_identifier(self, text: str, expected: bool) -> None:
        assert tracking.looks_like_identifier(text) is expected


async def test_the_timeline_holds_the_latest_ten_events_oldest_first(session: AsyncSession) -> None:
    me = await _customer_identity(session, 7101)
    shipment = await make_shipment(session, await _customer(session, me))
    kinds = list(CargoEventType)
    for minutes in range(13):
        session.add(
            CargoEvent(
                shipment_id=shipment.id,
                event_type=kinds[minutes],
                occurred_at=AT + dt.timedelta(hours=minutes),
            )
        )
    await session.commit()
    card = await tracking.status_card(session, me, shipment.id, today=TODAY)
    assert [entry.event_type for entry in card.timeline] == kinds[3:13]
    assert card.earlier_events == 3


async def test_active_shipments_come_eight_to_a_page_without_completed_or_other_companies(
    session: AsyncSession,
) -> None:
    me = await _customer_identity(session, 7201)
    customer = await _customer(session, me)
    ours = [
        await make_shipment(session, customer, eta=AT + dt.timedelta(days=n), bl_number=f"PAGE{n:06d}")
        for n in range(19)
    ]
    await make_shipment(session, customer, completed=True)
    await make_shipment(session, await make_customer(session))
    await session.commit()
    pages = [await tracking.active_shipments(session, me, n) for n in range(3)]
    assert [len(page.lines) for page in pages] == [8, 8, 3]
    assert {(page.pages, page.total) for page in pages} == {(3, 19)}
    listed = [line.shipment_id for page in pages for line in page.lines]
    assert listed == [s.id for s in ours], "soonest ETA first, each shipment once"
    assert (await tracking.active_shipments(session, me, 99)).page == 2
    assert (await tracking.active_shipments(session, me, -5)).page == 0


async def test_subscribing_twice_keeps_one_subscription_and_unsubscribing_removes_it(
    session: AsyncSession,
) -> None:
    me = await _customer_identity(session, 7301)
    shipment = await make_shipment(session, await _customer(session, me))
    await session.commit()
    assert not (await tracking.status_card(session, me, shipment.id, today=TODAY)).subscribed
    await tracking.set_subscription(session, me, shipment.id, True, today=TODAY)
    card = await tracking.set_subscription(session, me, shipment.id, True, today=TODAY)
    assert card.subscribed
    assert not (await tracking.set_subscription(session, me, shipment.id, False, today=TODAY)).subscribed
    assert not (await tracking.set_subscription(session, me, shipment.id, False, today=TODAY)).subscribed


class TestPushedUpdates:
    async def _two_contacts(self, session: AsyncSession) -> tuple[Shipment, Identity]:
        """A shipment with a subscribed contact (7401, Traditional Chinese) and one who did not subscribe."""
        subscriber = await _customer_identity(session, 7401, locale="zh_TW")
        customer = await _customer(session, subscriber)
        await make_contact(session, customer, telegram_user_id=7402, is_primary=False)
        session.add(ChatUser(telegram_user_id=7401, locale="zh_TW"))
        box = container_number("MSKU", 7401)
        shipment = await make_shipment(
            session,
            customer,
            bl_number="OOLU7401000001",
            direction=ShipmentDirection.IMPORT,
            vessel_name="COSCO ARIES",
            voyage="078E",
            containers=[Container(number=box)],
        )
        await session.commit()
        await tracking.set_subscription(session, subscriber, shipment.id, True, today=TODAY)
        return shipment, subscriber

    async def test_a_recorded_event_updates_the_status_and_is_pushed_to_subscribers_only(
        self, session: AsyncSession
    ) -> None:
        shipment, subscriber = await self._two_contacts(session)
        staff = await make_staff(session)
        await session.commit()
        box = shipment.containers[0].number
        event = await record_cargo_event(
            session,
            box.lower(),
            CargoEventType.DISCHARGED,
            AT,
            "大榭码头",
            staff_id=staff.id,
            tz=PORT_TZ,
            default_locale=DEFAULT_LOCALE,
        )
        assert (event.container_number, event.source, event.recorded_by_id) == (box, "chat", staff.id)
        await session.refresh(shipment)
        assert (shipment.status, shipment.location) == (CargoEventType.DISCHARGED, "大榭码头")
        pushes = list(await session.scalars(select(Notification)))
        assert [(n.chat_id, n.contact_id, n.idempotency_key) for n in pushes] == [
            (7401, subscriber.contact_id, f"cargo:{event.id}:{subscriber.contact_id}")
        ]
        _ = gettext_for("zh_TW")
        assert _(CARGO_EVENT_NAMES[CargoEventType.DISCHARGED]) in pushes[0].text
        assert "2026年3月1日 09:30" in pushes[0].text
        assert "OOLU7401000001" in pushes[0].text
        assert pushes[0].reply_markup == {
            "inline_keyboard": [[{"text": _("Open"), "callback_data": open_shipment_data(shipment.id)}]]
        }

    async def test_recording_applies_the_importers_rules_and_changes_nothing_when_refused(
        self, session: AsyncSession
    ) -> None:
        await self._two_contacts(session)
        staff = await make_staff(session)
        await session.commit()
        record = {"staff_id": staff.id, "tz": PORT_TZ, "default_locale": DEFAULT_LOCALE}
        unknown = await _error(record_cargo_event(session, "NOSUCH12345", "loaded", AT, **record))
        assert unknown.message.startswith("Unknown shipment")
        too_long = await _error(
            record_cargo_event(session, "OOLU7401000001", "loaded", AT, "码" * 101, **record)
        )
        assert too_long.message.startswith("Text too long")
        bad_kind = await _error(record_cargo_event(session, "OOLU7401000001", "sunk", AT, **record))
        assert bad_kind.message.startswith("Unknown value")
        await record_cargo_event(session, "OOLU7401000001", "loaded", AT, **record)
        again = await _error(record_cargo_event(session, "oolu7401000001", "loaded", AT, **record))
        assert isinstance(again, Conflict)
        events = await session.scalar(select(func.count()).select_from(CargoEvent))
        assert events == 1
        assert await session.scalar(select(func.count()).select_from(Notification)) == 1

    async def test_reimporting_the_same_cargo_events_file_pushes_nothing_new(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        shipment, subscriber = await self._two_contacts(session)
        box = shipment.containers[0].number
        path = tmp_path / "cargo-events.csv"
        rows = [
            "reference,container_number,event_type,occurred_at,location",
            f"OOLU7401000001,{box},discharged,2026-03-01 09:30,大榭码头",
            "OOLU7401000001,,customs_hold,2026-03-01 11:00,查验场",
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        first = await import_file(
            session, "cargo-events", path, actor=IMPORTER, tz=PORT_TZ, default_locale=DEFAULT_LOCALE
        )
        assert first.created == 2
        keys = set(await session.scalars(select(Notification.idempotency_key)))
        assert len(keys) == 2
        assert all(key.endswith(f":{subscriber.contact_id}") for key in keys)
        latecomer = await self._colleague(session, subscriber, 7403)
        await tracking.set_subscription(session, latecomer, shipment.id, True, today=TODAY)

        second = await import_file(
            session, "cargo-events", path, actor=IMPORTER, tz=PORT_TZ, default_locale=DEFAULT_LOCALE
        )

        assert (second.created, second.unchanged) == (0, 2)
        assert set(await session.scalars(select(Notification.idempotency_key))) == keys, "old events stay old"
        path.write_text(
            "\n".join([*rows, "OOLU7401000001,,customs_released,2026-03-02 10:00,"]) + "\n", encoding="utf-8"
        )
        third = await import_file(
            session, "cargo-events", path, actor=IMPORTER, tz=PORT_TZ, default_locale=DEFAULT_LOCALE
        )
        assert third.created == 1
        fresh = select(Notification.contact_id).where(Notification.idempotency_key.not_in(keys))
        assert set(await session.scalars(fresh)) == {subscriber.contact_id, latecomer.contact_id}

    async def _colleague(self, session: AsyncSession, of: Identity, telegram_user_id: int) -> Identity:
        contact = await make_contact(
            session, await _customer(session, of), telegram_user_id=telegram_user_id, is_primary=False
        )
        await session.commit()
        return Identity(telegram_user_id, "en", contact_id=contact.id, customer_id=of.customer_id)
