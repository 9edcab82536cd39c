"""The DCSA callback endpoint: `POST EVENTS_PATH` with a JSON array of events, signed.

What a publisher gets back, in the order it is decided:
- 401: no `Subscription-ID` or `Notification-Signature`, an unknown subscription, or a signature that is not
  the body's with a secret valid now. Nothing is read further and nothing is written.
- 413: a body over `MAX_BODY_BYTES`, refused before it is read whole.
- 400: a body that is not a JSON array. Nothing is written.
- 400 naming each event (index and eventID) and field that does not match the schema, after the batch's
  valid events are committed: the publisher resends the batch, and those count as repeats.
- 204: every event committed (or received before, or valid but unused: see mapping.py).
The subscription is looked up in a session of its own that is closed before the body is read, so a slow
sender never holds the database; the events are committed in one transaction before the answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import AsyncIterator

from aiohttp import web

from portcrm.feeds.dcsa.batch import Batch, MalformedBody, read_batch
from portcrm.feeds.dcsa.signature import SIGNATURE_HEADER, SUBSCRIPTION_HEADER, verify
from portcrm.feeds.dcsa.subscriptions import Publisher, publisher
from portcrm.services.tracking.feed_events import IngestResult, ingest_feed_events
from portcrm.settings import ConfigError, Listen, Settings
from portcrm.storage.db import Database
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
EVENTS_PATH = "/feeds/dcsa/v2/events"
MAX_BODY_BYTES = 5 * 1024 * 1024
_MAX_ID = 100  # longer than any Subscription-ID: not worth a query


class DcsaReceiver:
    """One aiohttp handler per application; the database and settings are the process's own."""

    def __init__(self, db: Database, settings: Settings, *, max_body: int = MAX_BODY_BYTES) -> None:
        self.db = db
        self.settings = settings
        self.max_body = max_body

    async def handle(self, request: web.Request) -> web.Response:
        subscription_id = request.headers.get(SUBSCRIPTION_HEADER, "").strip()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not subscription_id or not signature or len(subscription_id) > _MAX_ID:
            return _unauthorised(request, subscription_id, "a header is missing")
        async with self.db.session() as session:
            sender = await publisher(session, subscription_id)
        if sender is None:
            return _unauthorised(request, subscription_id, "no such subscription")
        body = await _read_at_most(request, self.max_body)
        if body is None:
            log.warning("dcsa %s: a body over %d bytes refused", sender.name, self.max_body)
            return _error(413, f"the body is over {self.max_body} bytes: send smaller batches")
        if not verify(signature, body, sender.secrets):
            return _unauthorised(request, subscription_id, "the signature does not match")
        try:
            batch = read_batch(body, source=f"dcsa:{sender.subscription_id}")
        except MalformedBody as error:
            log.warning("dcsa %s: malformed body: %s", sender.name, error)
            return _error(400, str(error))
        result = await self._ingest(batch)
        _log_batch(sender, batch, result)
        if batch.problems:
            return _invalid_events(batch, result)
        return web.Response(status=204)

    async def _ingest(self, batch: Batch) -> IngestResult | None:
        if not batch.events:
            return None
        async with self.db.session() as session, transaction(session):
            return await ingest_feed_events(
                session,
                batch.events,
                tz=self.settings.tz,
                default_locale=self.settings.default_locale,
                eta_change=dt.timedelta(hours=self.settings.eta_change_hours),
            )


def add_feed_routes(app: web.Application, db: Database, settings: Settings) -> None:
    app.router.add_post(EVENTS_PATH, DcsaReceiver(db, settings).handle)


@contextlib.asynccontextmanager
async def feed_server(db: Database, settings: Settings) -> AsyncIterator[int | None]:
    """Polling mode's own small HTTP server for the feeds, on `feed_listen`; yields its port, or None (and
    serves nothing) when no address is set. A webhook instance mounts the routes on its own server instead."""
    if not settings.feed_listen:
        yield None
        return
    host, port = _listen_address(settings.feed_listen)
    app = web.Application()
    add_feed_routes(app, db, settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0][1]
        log.info("feed receiver listening on %s:%s%s", host, bound, EVENTS_PATH)
        yield bound
    finally:
        await runner.cleanup()


def _listen_address(value: str) -> tuple[str, int]:
    try:
        listen = Listen.parse(value)
    except ValueError as error:
        raise ConfigError(f"PORTCRM_FEED_LISTEN: {error}") from None
    return listen.host, listen.port


async def _read_at_most(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None as soon as it is known to be longer than `limit` (declared or sent)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _unauthorised(request: web.Request, subscription_id: str, reason: str) -> web.Response:
    """One answer for every reason, so a caller learns nothing about which subscriptions exist."""
    log.warning(
        "dcsa: refused a POST from %s (Subscription-ID %r): %s",
        request.remote,
        subscription_id[:_MAX_ID],
        reason,
    )
    return _error(401, f"a valid {SIGNATURE_HEADER} and {SUBSCRIPTION_HEADER} are required")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _invalid_events(batch: Batch, result: IngestResult | None) -> web.Response:
    bad = len({p.index for p in batch.problems})
    accepted = batch.size - bad
    return web.json_response(
        {
            "error": f"{bad} of {batch.size} events do not match the DCSA Track & Trace 2.2 schema; "
            f"the other {accepted} were received",
            "invalid": [problem.as_json() for problem in batch.problems],
            "received": accepted,
            "recorded": result.recorded if result else 0,
            "unused": [{"index": u.index, "eventID": u.event_id, "reason": u.reason} for u in batch.unused],
        },
        status=400,
    )


def _log_batch(sender: Publisher, batch: Batch, result: IngestResult | None) -> None:
    unused = Counter(u.reason for u in batch.unused)
    log.info(
        "dcsa %s: %d events: %d recorded, %d repeated, %d superseded, %d unmatched, %d invalid, %d unused%s",
        sender.name,
        batch.size,
        result.recorded if result else 0,
        result.repeated if result else 0,
        result.superseded if result else 0,
        result.unmatched if result else 0,
        len({p.index for p in batch.problems}),
        len(batch.unused),
        "".join(f"; {count} x {reason}" for reason, count in unused.items()),
    )
