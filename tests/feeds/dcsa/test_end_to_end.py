"""From a carrier's signed POST to the customer's chat: the real bot polling the sandbox, the receiver on a
real port (polling mode's feed server, and a webhook instance's own server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from bot.runtime.webhook import Listen, serving
from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.feeds.dcsa import subscriptions
from portcrm.feeds.dcsa.receiver import EVENTS_PATH, feed_server
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.models import CargoEvent, Container, ShipmentSubscription
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from tests.factories import container_number, make_contact, make_customer, make_shipment
from tests.feeds.dcsa.support import IMO, Publisher, equipment, shipment, table_counts
from tests.harness import TOKEN, RunningBot, running_bot

BL = "OOLU2741538960"
CUSTOMER_CHAT = 8101


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[RunningBot]:
    async with running_bot(database_url, default_locale="zh_CN", feed_listen="127.0.0.1:0") as running:
        yield running


async def _subscribed_shipment(app: RunningBot, box: str) -> int:
    """An import of one box on the DCSA vessel, its customer's contact subscribed to it."""
    async with app.db.session() as session:
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=CUSTOMER_CHAT, is_primary=True)
        found = await make_shipment(
            session,
            customer,
            bl_number=BL,
            direction=ShipmentDirection.IMPORT,
            vessel_imo=IMO,
            voyage="2103N",
            containers=[Container(number=box, size_type="45G1")],
        )
        session.add(ShipmentSubscription(contact_id=contact.id, shipment_id=found.id))
        await session.commit()
        return found.id


async def test_a_posted_discharge_is_stored_and_pushed_to_the_subscriber_once(app: RunningBot) -> None:
    box = container_number("OOLU", 274153)
    shipment_id = await _subscribed_shipment(app, box)
    customer = app.user(CUSTOMER_CHAT, "王芳", language_code="zh-hans")
    await app.say(customer, "/start")
    async with app.db.session() as session:
        added, secret = await subscriptions.add_subscription(session, "Ningbo Terminal")
    async with feed_server(app.db, app.settings) as port, aiohttp.ClientSession() as client:
        carrier = Publisher(client, f"http://127.0.0.1:{port}{EVENTS_PATH}", added.subscription_id, secret)
        mark = app.sandbox.mark()
        batch = [equipment("DISC", box, "2026-12-01T09:30:00+08:00")]
        assert (await carrier.post(batch)).status == 204
        async with app.db.session() as session:
            stored = list(
                await session.scalars(select(CargoEvent).where(CargoEvent.shipment_id == shipment_id))
            )
        assert [(e.event_type, e.location) for e in stored] == [(CargoEventType.DISCHARGED, "CNNGB BLCT")]

        push = await app.sandbox.wait_for_reply(customer, after=mark, token=TOKEN)
        _ = gettext_for("zh_CN")
        assert push.text is not None
        assert _(CARGO_EVENT_NAMES[CargoEventType.DISCHARGED]) in push.text
        assert BL in push.text

        before = await table_counts(app.db)
        again = app.sandbox.mark()
        assert (await carrier.post(batch)).status == 204, "a replay is accepted"
        await app.settled()
        assert app.sandbox.replies(customer, again, token=TOKEN) == [], "and pushes nothing"
        assert await table_counts(app.db) == before


async def test_a_customs_release_reaches_the_chat_in_the_customers_language(app: RunningBot) -> None:
    box = container_number("OOLU", 274154)
    await _subscribed_shipment(app, box)
    customer = app.user(CUSTOMER_CHAT, "Wang", language_code="en")
    await app.say(customer, "/start")
    async with app.db.session() as session:
        added, secret = await subscriptions.add_subscription(session, "COSCO")
    async with feed_server(app.db, app.settings) as port, aiohttp.ClientSession() as client:
        carrier = Publisher(client, f"http://127.0.0.1:{port}{EVENTS_PATH}", added.subscription_id, secret)
        mark = app.sandbox.mark()
        assert (await carrier.post([shipment("RELS", "CUS", BL)])).status == 204
        push = await app.sandbox.wait_for_reply(customer, after=mark, token=TOKEN)
    assert push.text is not None
    assert gettext_for("en")(CARGO_EVENT_NAMES[CargoEventType.CUSTOMS_RELEASED]) in push.text


async def test_a_webhook_instance_serves_the_receiver_on_its_own_server(database_url: str) -> None:
    token = "7000005:PORTCRM-feeds-webhook"
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(token, username="portcrm_feeds_bot")
        settings = Settings(
            _env_file=None,
            bot_token=token,
            database_url=database_url,
            telegram_api_url=sandbox.base_url,
            run_scheduler=False,
        )
        async with serving(settings, "http://127.0.0.1:1/hook", Listen("127.0.0.1", 0)) as port:
            db = Database(database_url)
            try:
                async with db.session() as session:
                    added, secret = await subscriptions.add_subscription(session, "COSCO")
                async with aiohttp.ClientSession() as client:
                    url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
                    carrier = Publisher(client, url, added.subscription_id, secret)
                    box = container_number("OOLU", 274155)
                    assert (await carrier.post([equipment("DISC", box)])).status == 204
                    forged = await carrier.post([equipment("DISC", box)], secret=subscriptions.new_secret())
                    assert forged.status == 401
                assert (await table_counts(db))["unmatched_feed_events"] == 1
            finally:
                await db.dispose()
