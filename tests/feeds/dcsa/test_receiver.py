"""The DCSA receiver over real HTTP on a real port: signed batches in, 204 only after the commit.

Every refusal is checked against the database: nothing written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.runtime.logs import RedactSecrets
from portcrm.enums import CargoEventType, ShipmentDirection, TimeClassifier
from portcrm.feeds.dcsa import subscriptions
from portcrm.feeds.dcsa.receiver import EVENTS_PATH, MAX_BODY_BYTES, feed_server
from portcrm.feeds.dcsa.signature import SIGNATURE_HEADER, SUBSCRIPTION_HEADER, sign
from portcrm.models import CargoEvent, Container, FeedSubscription, Shipment, UnmatchedFeedEvent
from portcrm.settings import ConfigError, Settings
from portcrm.storage.db import Database
from tests.factories import container_number, make_customer, make_shipment
from tests.feeds.dcsa.support import IMO, Publisher, encoded, equipment, shipment, table_counts, transport


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def publisher(db: Database, database_url: str) -> AsyncIterator[Publisher]:
    settings = Settings(_env_file=None, database_url=database_url, feed_listen="127.0.0.1:0")
    async with db.session() as session:
        added, secret = await subscriptions.add_subscription(session, "Terminal A")
    async with feed_server(db, settings) as port, aiohttp.ClientSession() as client:
        yield Publisher(client, f"http://127.0.0.1:{port}{EVENTS_PATH}", added.subscription_id, secret)


async def _shipment_with(db: Database, box: str) -> int:
    async with db.session() as session:
        customer = await make_customer(session)
        found = await make_shipment(
            session,
            customer,
            direction=ShipmentDirection.IMPORT,
            vessel_imo=IMO,
            voyage="2103N",
            containers=[Container(number=box, size_type="45G1")],
        )
        await session.commit()
        return found.id


async def _events_of(db: Database, shipment_id: int) -> list[CargoEventType]:
    async with db.session() as session:
        rows = await session.scalars(
            select(CargoEvent.event_type).where(CargoEvent.shipment_id == shipment_id).order_by(CargoEvent.id)
        )
        return list(rows)


async def _shipment(db: Database, shipment_id: int) -> Shipment:
    async with db.session() as session:
        found = await session.get(Shipment, shipment_id)
        assert found is not None
        return found


class TestAccepted:
    async def test_a_signed_batch_is_committed_before_the_204(
        self, publisher: Publisher, db: Database
    ) -> None:
        box, stranger = container_number(), container_number("TGHU")
        shipment_id = await _shipment_with(db, box)
        batch = [
            equipment("DISC", box, "2026-12-01T09:30:00+08:00"),
            transport("ARRI", "2026-12-01T06:00:00+08:00", classifier="ACT"),
            equipment("GTIN", stranger, empty=True),
        ]
        reply = await publisher.post(batch)
        assert (reply.status, reply.body) == (204, None)
        assert await _events_of(db, shipment_id) == [CargoEventType.DISCHARGED, CargoEventType.VESSEL_ARRIVED]
        found = await _shipment(db, shipment_id)
        assert found.ata == dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)
        async with db.session() as session:
            waiting = (await session.scalars(select(UnmatchedFeedEvent))).one()
        assert waiting.source == f"dcsa:{publisher.subscription_id}"
        assert waiting.event_id == batch[2]["eventID"]
        assert waiting.payload["event_type"] == CargoEventType.EMPTY_RETURNED
        assert (await table_counts(db))["feed_event_receipts"] == 3

    async def test_a_replayed_batch_changes_nothing(self, publisher: Publisher, db: Database) -> None:
        box = container_number()
        await _shipment_with(db, box)
        batch = [equipment("DISC", box), equipment("GTOT", box, "2026-12-02T10:00:00+08:00")]
        assert (await publisher.post(batch)).status == 204
        before = await table_counts(db)
        assert (await publisher.post(batch)).status == 204
        assert (await publisher.post(list(reversed(batch)))).status == 204
        assert await table_counts(db) == before

    async def test_events_posted_out_of_order_leave_the_newest_state(
        self, publisher: Publisher, db: Database
    ) -> None:
        box = container_number()
        shipment_id = await _shipment_with(db, box)
        later_estimate = transport("ARRI", "2026-12-05T08:00:00+08:00", created="2026-12-02T12:00:00+08:00")
        earlier_estimate = transport("ARRI", "2026-12-03T08:00:00+08:00", created="2026-12-01T12:00:00+08:00")
        gate_out = equipment("GTOT", box, "2026-12-06T15:00:00+08:00")
        discharge = equipment("DISC", box, "2026-12-05T20:00:00+08:00")
        for batch in ([later_estimate, gate_out], [discharge], [earlier_estimate]):
            assert (await publisher.post(batch)).status == 204
        found = await _shipment(db, shipment_id)
        assert found.status is CargoEventType.GATE_OUT, "the older discharge does not overwrite the gate-out"
        assert found.eta == dt.datetime(2026, 12, 5, 0, 0, tzinfo=dt.UTC), "the estimate made last holds"
        assert found.eta_classifier is TimeClassifier.ESTIMATED

    async def test_shipment_events_portcrm_does_not_use_are_received_and_write_nothing(
        self, publisher: Publisher, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        before = await table_counts(db)
        with caplog.at_level(logging.INFO, logger="portcrm.feeds.dcsa.receiver"):
            unused = [shipment("ISSU", "TRD", "OOLU2741538960"), shipment("HOLD", "VGM", "X1")]
            reply = await publisher.post(unused)
        assert reply.status == 204
        assert await table_counts(db) == before
        assert "2 unused" in caplog.text
        assert "shipment event ISSU of a TRD document is not used" in caplog.text


class TestRefusedUnread:
    async def test_a_forged_or_tampered_signature_is_refused_and_nothing_is_written(
        self, publisher: Publisher, db: Database
    ) -> None:
        box = container_number()
        await _shipment_with(db, box)
        batch = [equipment("DISC", box)]
        body = encoded(batch)
        before = await table_counts(db)
        forged = [
            {SIGNATURE_HEADER: sign(subscriptions.new_secret(), body)},  # another secret
            {SIGNATURE_HEADER: sign(publisher.secret, body + b" ")},  # another body
            {SIGNATURE_HEADER: sign(publisher.secret, body).replace("sha256=", "sha1=")},
            {SIGNATURE_HEADER: sign(publisher.secret, body)[:-2]},  # cut short
            {SIGNATURE_HEADER: "sha256=not-hex"},
            {SIGNATURE_HEADER: sign(publisher.secret, body).removeprefix("sha256=")},
        ]
        for headers in forged:
            reply = await publisher.post(body, headers=headers)
            assert reply.status == 401, headers
            assert reply.body == {"error": "a valid Notification-Signature and Subscription-ID are required"}
        assert await table_counts(db) == before

    async def test_an_unknown_subscription_or_a_missing_header_is_refused(
        self, publisher: Publisher, db: Database
    ) -> None:
        box = container_number()
        await _shipment_with(db, box)
        before = await table_counts(db)
        for headers in (
            {SUBSCRIPTION_HEADER: "0a8a6f1e-5c1d-4a51-9d7b-2f2f8a0e3c11"},
            {SUBSCRIPTION_HEADER: None},
            {SIGNATURE_HEADER: None},
            {SUBSCRIPTION_HEADER: "x" * 5000},
        ):
            assert (await publisher.post([equipment("DISC", box)], headers=headers)).status == 401, headers
        assert await table_counts(db) == before

    async def test_a_body_over_the_limit_is_refused_whether_declared_or_streamed(
        self, publisher: Publisher, db: Database
    ) -> None:
        box = container_number()
        padding = "x" * 1000
        events = [equipment("DISC", box) | {"padding": padding} for _ in range(MAX_BODY_BYTES // 1000 + 10)]
        body = encoded(events)
        assert len(body) > MAX_BODY_BYTES
        reply = await publisher.post(body)
        assert reply.status == 413
        assert reply.body == {"error": f"the body is over {MAX_BODY_BYTES} bytes: send smaller batches"}

        async def streamed() -> AsyncIterator[bytes]:  # chunked: no Content-Length to go by
            for start in range(0, len(body), 256 * 1024):
                yield body[start : start + 256 * 1024]

        headers = {
            SUBSCRIPTION_HEADER: publisher.subscription_id,
            SIGNATURE_HEADER: sign(publisher.secret, body),
        }
        assert (await publisher.send(streamed(), headers)).status == 413
        assert await table_counts(db) == {k: 0 for k in await table_counts(db)}


class TestBadBodies:
    @pytest.mark.parametrize(
        ("body", "error"),
        [
            (b'[{"eventID": "1",', "the body is not JSON: Expecting property name enclosed in double quotes"),
            (b'{"eventID": "1"}', "the body must be a JSON array of events, not a JSON object"),
            (b"\xff\xfe[]", "the body is not UTF-8 text"),
            (b"", "the body is not JSON: Expecting value: line 1 column 1 (char 0)"),
        ],
        ids=["truncated", "object", "not-utf8", "empty"],
    )
    async def test_a_body_that_is_no_json_array_is_refused_whole(
        self, publisher: Publisher, db: Database, body: bytes, error: str
    ) -> None:
        reply = await publisher.post(body)
        assert reply.status == 400
        assert reply.body["error"].startswith(error)
        assert await table_counts(db) == {k: 0 for k in await table_counts(db)}

    async def test_the_valid_events_of_a_batch_are_committed_and_each_bad_one_is_named(
        self, publisher: Publisher, db: Database
    ) -> None:
        box = container_number()
        shipment_id = await _shipment_with(db, box)
        wrong_imo = equipment("LOAD", box, event_id="bad-imo")
        wrong_imo["transportCall"]["vessel"]["vesselIMONumber"] = "93214830"
        batch = [
            equipment("DISC", box, "2026-12-01T09:30:00+08:00"),
            equipment("DISC", box) | {"emptyIndicatorCode": "FULL", "eventID": "bad-empty"},
            wrong_imo,
            {key: value for key, value in equipment("GTOT", box).items() if key != "eventID"},
            equipment("GTOT", "MSKU1234560", event_id="bad-box"),  # check digit 5, not 0
            equipment("GTOT", box, "2026-12-01T10:00:00", event_id="naive"),
            "LOAD",
            equipment("GTOT", box, "2026-12-02T10:00:00+08:00"),
        ]
        reply = await publisher.post(batch)
        assert reply.status == 400
        assert reply.body["received"] == 2
        assert reply.body["recorded"] == 2
        invalid = [(p["index"], p["eventID"], p["field"]) for p in reply.body["invalid"]]
        assert invalid == [
            (1, "bad-empty", "emptyIndicatorCode"),
            (2, "bad-imo", "transportCall.vessel.vesselIMONumber"),
            (3, None, "eventID"),
            (4, "bad-box", "equipmentReference"),
            (5, "naive", "eventDateTime"),
            (6, None, ""),
        ]
        messages = {p["eventID"]: p["message"] for p in reply.body["invalid"]}
        assert messages["bad-empty"] == "Input should be 'EMPTY' or 'LADEN'"
        assert messages["bad-box"] == "not an ISO 6346 container number"
        assert reply.body["error"] == (
            "6 of 8 events do not match the DCSA Track & Trace 2.2 schema; the other 2 were received"
        )
        assert await _events_of(db, shipment_id) == [CargoEventType.DISCHARGED, CargoEventType.GATE_OUT]

        again = await publisher.post(batch)  # the publisher resends the batch whole: the good ones repeat
        assert (again.status, again.body["received"], again.body["recorded"]) == (400, 2, 0)
        assert await _events_of(db, shipment_id) == [CargoEventType.DISCHARGED, CargoEventType.GATE_OUT]


class TestRotation:
    async def test_the_previous_secret_is_accepted_until_its_grace_period_ends(
        self, publisher: Publisher, db: Database
    ) -> None:
        old = publisher.secret
        async with db.session() as session:
            _, new = await subscriptions.rotate_secret(session, "Terminal A", dt.timedelta(hours=2))
        box = container_number()
        assert (await publisher.post([equipment("DISC", box)], secret=new)).status == 204
        assert (await publisher.post([equipment("LOAD", box)], secret=old)).status == 204

        async with db.session() as session:  # two hours on
            lapsed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            await session.execute(update(FeedSubscription).values(previous_secret_until=lapsed))
            await session.commit()
        before = await table_counts(db)
        assert (await publisher.post([equipment("GTOT", box)], secret=old)).status == 401
        assert await table_counts(db) == before
        assert (await publisher.post([equipment("GTOT", box)], secret=new)).status == 204

    async def test_a_rotation_without_grace_ends_the_old_secret_at_once(
        self, publisher: Publisher, db: Database
    ) -> None:
        async with db.session() as session:
            _, new = await subscriptions.rotate_secret(session, "Terminal A", dt.timedelta(0))
        assert (await publisher.post([equipment("DISC", container_number())])).status == 401
        assert (await publisher.post([equipment("DISC", container_number())], secret=new)).status == 204

    async def test_a_removed_subscription_can_post_no_more(self, publisher: Publisher, db: Database) -> None:
        async with db.session() as session:
            await subscriptions.remove_subscription(session, "Terminal A")
        assert (await publisher.post([equipment("DISC", container_number())])).status == 401


async def test_no_secret_reaches_a_log_line_whatever_is_posted(
    publisher: Publisher, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        async with db.session() as session:
            _, new = await subscriptions.rotate_secret(session, "Terminal A", dt.timedelta(hours=1))
        await publisher.post([equipment("DISC", container_number())])
        await publisher.post([equipment("DISC", container_number())], secret=subscriptions.new_secret())
        await publisher.post(b"{", secret=new)
        await publisher.post([equipment("DISC", "MSKU1234560")], secret=new)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("portcrm", "bot")))
    assert "refused a POST" in ours
    assert publisher.secret not in ours
    assert new not in ours
    # a driver's DEBUG line shows the parameters of the UPDATE that stored the new secret: the filter that
    # `portcrm run` installs (bot/runtime/logs.py) knows a feed secret by its shape
    redact = RedactSecrets([])
    for record in caplog.records:
        redact.filter(record)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert publisher.secret not in everything
    assert new not in everything


async def test_polling_mode_serves_the_feeds_only_on_an_address_that_is_set(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with feed_server(db, Settings(_env_file=None, database_url=database_url)) as port:
            assert port is None
        bad = Settings(_env_file=None, database_url=database_url, feed_listen="localhost")
        with pytest.raises(ConfigError, match="PORTCRM_FEED_LISTEN: expected HOST:PORT, got 'localhost'"):
            await feed_server(db, bad).__aenter__()
    finally:
        await db.dispose()
