"""Terminal and carrier feeds at port scale (100k customers, 1M shipments): ingest rates and push latency.

(a) DCSA over HTTP: the real aiohttp receiver (polling mode's feed server, on 127.0.0.1) takes signed POSTs of
    equipment events, `--batch` events each, one batch at a time as a publisher sends them;
(b) EDIFACT files: generated CODECO (gate-in) and COARRI (discharge) interchanges of `--batch` boxes each,
    taken one after the other by `ingest_edi_file` (as `portcrm edi ingest` and the drop folder take them);
each against a raw bulk insert of the same cargo_events rows in the same run (sqlite3 executemany or asyncpg
COPY, one transaction): the ratio is the price of the receipts, matching, state, audit and pushes.
(c) latency: one event per POST, each on a shipment another customer's linked contact follows, one at a time
    at random moments (an idle sender polls the outbox every 0.5 s); from the POST to the sandbox accepting
    the push, with the real OutboxSender running (in this process).

The events name boxes of the newest shipments, each a new event (no repeats). Bodies, signatures and files are
made before the clock starts: a publisher's cost is not PortCRM's.

    .venv/bin/python -m bench.feeds                  # 100k customers, 1M shipments, SQLite
    .venv/bin/python -m bench.feeds --quick          # 5k customers, 50k shipments
    .venv/bin/python -m bench.feeds --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.feeds --quick --profile /tmp/feeds   # cProfile of (a) and (b) into that folder
    .venv/bin/python -m bench.feeds --without-invoice-index  # as before migration 0013, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import json
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.common import (
    in_subprocess,
    machine,
    percentile,
    pg_database,
    print_table,
    sqlite_file,
    sqlite_url,
    stopwatch,
)
from bench.datagen import World, default_cache, fill_postgres, prepare_sqlite
from portcrm.feeds.dcsa import subscriptions
from portcrm.feeds.dcsa.receiver import EVENTS_PATH, feed_server
from portcrm.feeds.dcsa.signature import SIGNATURE_HEADER, SUBSCRIPTION_HEADER, sign
from portcrm.feeds.edifact.codes import PartnerCodes, load_codes
from portcrm.feeds.edifact.events import message_events
from portcrm.feeds.edifact.ingest import ingest_edi_file
from portcrm.feeds.edifact.messages import Context
from portcrm.feeds.edifact.reader import read_interchange
from portcrm.models import ShipmentSubscription
from portcrm.settings import Settings
from portcrm.storage import migrate
from portcrm.storage.db import Database

FULL = {"customers": 100_000, "shipments": 1_000_000, "invoices": 1_000_000, "linked_users": 1000}
QUICK = {"customers": 5_000, "shipments": 50_000, "invoices": 50_000, "linked_users": 50}
TOKEN = "7000011:PORTCRM-bench-feeds"
BOXES_SQL = (
    "SELECT c.number, s.id, s.direction, s.booking_ref, s.bl_number, s.vessel_imo, s.voyage "
    "FROM containers c JOIN shipments s ON s.id = c.shipment_id ORDER BY c.id DESC LIMIT {limit}"
)
LINKED_SQL = "SELECT c.shipment_id FROM containers c WHERE c.number = {p}"
TERMINAL = ("CNNGB", "NBCT")
# what the payment-hold check needs: one shipment's open overdue invoices (SQLite, lacking statistics, uses
# a single-column index on shipment_id only when it covers the other conditions too)
INVOICE_INDEX = "DROP INDEX ix_invoices_shipment_open"  # migration 0013's, for the before figures


@dataclass(frozen=True, slots=True)
class Box:
    number: str
    shipment_id: int
    importing: bool
    booking: str
    bl: str | None
    imo: str
    voyage: str
    at: dt.datetime  # the event's time, aware UTC, to the minute

    @property
    def event_type(self) -> str:
        return "discharged" if self.importing else "gate_in"


@dataclass
class Results:
    backend: str
    rates: list[list[object]] = field(default_factory=list)
    latency: list[list[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- what the publishers send ---------------------------------------------------------------------------


def dcsa_event(box: Box, kind: str | None = None, at: dt.datetime | None = None) -> dict[str, Any]:
    when = (at or box.at).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    call = {
        "transportCallID": str(uuid.uuid4()),
        "modeOfTransport": "VESSEL",
        ("importVoyageNumber" if box.importing else "exportVoyageNumber"): box.voyage,
        "UNLocationCode": TERMINAL[0],
        "facilityCode": TERMINAL[1],
        "vessel": {"vesselIMONumber": box.imo},
    }
    return {
        "eventID": str(uuid.uuid4()),
        "eventType": "EQUIPMENT",
        "eventClassifierCode": "ACT",
        "eventDateTime": when,
        "eventCreatedDateTime": when,
        "equipmentEventTypeCode": kind or ("DISC" if box.importing else "GTIN"),
        "equipmentReference": box.number,
        "ISOEquipmentCode": "45G1",
        "emptyIndicatorCode": "LADEN",
        "transportCall": call,
        "documentReferences": [{"documentReferenceType": "BKG", "documentReferenceValue": box.booking}],
    }


def edifact_file(boxes: Sequence[Box], reference: str, per_message: int = 50) -> str:
    """One interchange: CODECO gate-ins of export boxes, or COARRI discharges of import boxes."""
    coarri = boxes[0].importing
    kind, version, code = ("COARRI", "D:95B:UN:ITG12", "98") if coarri else ("CODECO", "D:95B:UN:ITG14", "34")
    local = dt.timezone(dt.timedelta(hours=8))
    lines = ["UNA:+.? '", f"UNB+UNOA:2+BENCH:ZZZ+PORTCRM:ZZZ+261201:0800+{reference}'"]
    groups = [boxes[i : i + per_message] for i in range(0, len(boxes), per_message)]
    for n, group in enumerate(groups, start=1):
        body = [f"UNH+M{n:05d}+{kind}:{version}'", f"BGM+{code}+D{reference}{n}+9'"]
        if coarri:
            body.append(f"TDT+20+{group[0].voyage}+1++COS:172:20+++{group[0].imo}:146:11:BENCH VESSEL'")
        body.append(f"LOC+{'11' if coarri else '165'}+{TERMINAL[0]}:139:6+{TERMINAL[1]}:TER:ZZZ'")
        for box in group:
            when = box.at.astimezone(local).strftime("%Y%m%d%H%M")
            reference_segment = f"RFF+BM:{box.bl}'" if coarri and box.bl else f"RFF+BN:{box.booking}'"
            body += [
                f"EQD+CN+{box.number}+45G1:102:5++{'3' if coarri else '2'}+5'",
                reference_segment,
                f"DTM+{'203' if coarri else '7'}:{when}:203'",
            ]
        body.append(f"CNT+16:{len(group)}'")
        lines += [*body, f"UNT+{len(body) + 1}+M{n:05d}'"]
    lines.append(f"UNZ+{len(groups)}+{reference}'")
    return "\n".join(lines) + "\n"


# --- the run --------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, backend: str, url: str, world: World, settings: Settings, args: argparse.Namespace):
        self.backend, self.url, self.world, self.args = backend, url, world, args
        self.settings = settings.model_copy(update={"database_url": url, "feed_listen": "127.0.0.1:0"})
        self.db = Database(url)
        self.results = Results(backend)

    async def run(self) -> Results:
        try:
            if self.args.without_invoice_index:
                await self.drop_invoice_index()
            batch, batches = self.args.batch, self.args.batches
            boxes = await self.boxes(2 * batch * batches)
            http, files = boxes[: batch * batches], boxes[batch * batches :]
            await self.http(http, batch)
            await self.edifact(files, batch)
            await self.latency(self.args.pushes)
        finally:
            await self.db.dispose()
        return self.results

    async def drop_invoice_index(self) -> None:
        """Without the payment-hold check's index (see RESULTS.md), in this throwaway database only."""
        async with self.db.session() as session:
            await session.execute(text(INVOICE_INDEX))
            await session.commit()
        self.backend = self.results.backend = f"{self.backend} without the invoices index"

    async def boxes(self, count: int) -> list[Box]:
        """The newest shipments' boxes, each with a time of its own (events are kept to the minute)."""
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        async with self.db.session() as session:
            rows = (await session.execute(text(BOXES_SQL.format(limit=2 * count + 1000)))).all()
        found, seen = [], set()
        for number, shipment_id, direction, booking, bl, imo, voyage in rows:
            if shipment_id in seen:  # one box per shipment: a batch then touches `batch` shipments
                continue
            seen.add(shipment_id)
            at = now - dt.timedelta(minutes=len(found) + 1)
            found.append(Box(number, shipment_id, direction == "import", booking, bl, imo, voyage, at))
        if len(found) < count:
            raise SystemExit(f"only {len(found)} shipments to report on; fewer --batches")
        return found[:count]

    async def last_event_id(self) -> int:
        async with self.db.session() as session:
            return int(
                (await session.execute(text("SELECT coalesce(max(id), 0) FROM cargo_events"))).scalar_one()
            )

    async def raw_insert(self, boxes: Sequence[Box], since: int) -> float:
        """Seconds to bulk-insert the same cargo_events rows straight through the driver: the rows the path
        wrote (ids above `since`) are removed first, and the raw ones afterwards."""
        created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        rows = [
            (
                b.shipment_id,
                b.number,
                b.event_type,
                b.at.replace(tzinfo=None),
                " ".join(TERMINAL),
                "feed",
                created,
            )
            for b in boxes
        ]
        columns = (
            "shipment_id",
            "container_number",
            "event_type",
            "occurred_at",
            "location",
            "source",
            "created_at",
        )
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            connection = sqlite3.connect(url.database or "", isolation_level=None)
            try:
                connection.execute("DELETE FROM cargo_events WHERE id > ?", (since,))
                marks = ", ".join("?" * len(columns))
                sql = f"INSERT INTO cargo_events ({', '.join(columns)}) VALUES ({marks})"
                iso = [
                    (
                        *r[:3],
                        r[3].isoformat(" ", "microseconds"),
                        *r[4:6],
                        r[6].isoformat(" ", "microseconds"),
                    )
                    for r in rows
                ]
                with stopwatch() as took:
                    connection.execute("BEGIN IMMEDIATE")
                    connection.executemany(sql, iso)
                    connection.execute("COMMIT")
                connection.execute("DELETE FROM cargo_events WHERE id > ?", (since,))
            finally:
                connection.close()
            return took[0]
        import asyncpg

        connection = await asyncpg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            await connection.execute("DELETE FROM cargo_events WHERE id > $1", since)
            with stopwatch() as took:
                async with connection.transaction():
                    await connection.copy_records_to_table(
                        "cargo_events", records=rows, columns=list(columns)
                    )
            await connection.execute("DELETE FROM cargo_events WHERE id > $1", since)
        finally:
            await connection.close()
        return took[0]

    async def recorded(self, boxes: Sequence[Box]) -> int:
        """How many of the boxes' events are stored: every one must be, or the bench measured nothing."""
        numbers = [b.number for b in boxes]
        count = 0
        async with self.db.session() as session:
            for start in range(0, len(numbers), 500):
                part = numbers[start : start + 500]
                query = text(
                    "SELECT count(*) FROM cargo_events WHERE source = 'feed' AND container_number IN "
                    f"({', '.join(f':n{i}' for i in range(len(part)))})"
                )
                count += (await session.execute(query, {f"n{i}": n for i, n in enumerate(part)})).scalar_one()
        return count

    def rate_row(self, path: str, events: int, took: float, raw: float, extra: str) -> None:
        ours, baseline = events / took, events / raw
        self.results.rates.append(
            [self.backend, path, events, took, ours, baseline, f"{baseline / ours:.0f}×", extra]
        )

    async def http(self, boxes: Sequence[Box], batch: int) -> None:
        async with self.db.session() as session:
            added, secret = await subscriptions.add_subscription(session, f"bench {uuid.uuid4().hex[:6]}")
        bodies = []
        for start in range(0, len(boxes), batch):
            body = json.dumps([dcsa_event(b) for b in boxes[start : start + batch]]).encode()
            headers = {SUBSCRIPTION_HEADER: added.subscription_id, SIGNATURE_HEADER: sign(secret, body)}
            bodies.append((body, headers | {"Content-Type": "application/json"}))
        posts: list[float] = []
        since = await self.last_event_id()
        async with feed_server(self.db, self.settings) as port, aiohttp.ClientSession() as client:
            url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
            with self.profiled("http"), stopwatch() as took:
                for body, headers in bodies:
                    with stopwatch() as one:
                        async with client.post(url, data=body, headers=headers) as answer:
                            assert answer.status == 204, (answer.status, await answer.text())
                    posts.append(one[0] * 1000)
        stored = await self.recorded(boxes)
        assert stored == len(boxes), f"{stored} of {len(boxes)} events recorded"
        raw = await self.raw_insert(boxes, since)
        extra = f"POST of {batch}: p50 {percentile(posts, 50):.0f} ms, max {max(posts):.0f} ms"
        self.rate_row(f"DCSA HTTP, {len(bodies)} POSTs", len(boxes), took[0], raw, extra)

    async def edifact(self, boxes: Sequence[Box], batch: int) -> None:
        codes = load_codes()
        eta = dt.timedelta(hours=self.settings.eta_change_hours)
        with tempfile.TemporaryDirectory(prefix="portcrm-bench-edi-") as folder:
            paths = []
            for kind in (True, False):  # COARRI discharges, then CODECO gate-ins
                same = [b for b in boxes if b.importing is kind]
                for start in range(0, len(same), batch):
                    reference = f"B{len(paths):05d}{uuid.uuid4().hex[:6].upper()}"
                    path = Path(folder) / f"{reference}.edi"
                    path.write_text(edifact_file(same[start : start + batch], reference))
                    paths.append(path)
            since = await self.last_event_id()
            with self.profiled("edifact"), stopwatch() as took:
                for path in paths:
                    async with self.db.session() as session:
                        report = await ingest_edi_file(
                            session, path, codes=codes, tz=self.settings.tz,
                            default_locale=self.settings.default_locale, eta_change=eta,
                        )  # fmt: skip
                    assert not report.quarantined, [p.render() for p in report.problems]
            parse = await asyncio.to_thread(_parse_only, paths, codes, self.settings)
        stored = await self.recorded(boxes)
        assert stored == len(boxes), f"{stored} of {len(boxes)} events recorded"
        raw = await self.raw_insert(boxes, since)
        extra = f"reading and mapping alone: {len(boxes) / parse:,.0f} events/s"
        self.rate_row(f"EDIFACT files, {len(paths)} files", len(boxes), took[0], raw, extra)

    async def latency(self, count: int) -> None:
        from bot.delivery import OutboxSender
        from bot.runtime.app import build_bot
        from sandbox import BotAPISandbox

        linked = self.world.linked[:count]
        async with self.db.session() as session:
            added, secret = await subscriptions.add_subscription(session, f"latency {uuid.uuid4().hex[:6]}")
            boxes = []
            for user in linked:
                shipment_id = (
                    await session.execute(text(LINKED_SQL.format(p=":n")), {"n": user.container})
                ).scalar_one()
                session.add(ShipmentSubscription(contact_id=user.contact_id, shipment_id=shipment_id))
                now = dt.datetime.now(dt.UTC)
                box = Box(user.container, shipment_id, False, user.booking_ref, None, "9321483", "001E", now)
                boxes.append((user.telegram_user_id, box))
            await session.commit()
        arrived: dict[int, asyncio.Event] = {chat: asyncio.Event() for chat, _ in boxes}
        async with BotAPISandbox() as sandbox:
            sandbox.add_bot(TOKEN)
            for chat, _ in boxes:
                sandbox.add_user(chat, f"Customer {chat}")
                sandbox.state.bots[TOKEN].started.add(chat)
            check = sandbox.flood.check

            def seen(token: str, chat_id: int, *, is_group: bool) -> None:
                check(token, chat_id, is_group=is_group)
                if chat_id in arrived:
                    arrived[chat_id].set()

            sandbox.flood.check = seen  # type: ignore[method-assign]
            settings = self.settings.model_copy(
                update={"bot_token": SecretStr(TOKEN), "telegram_api_url": sandbox.base_url}
            )
            bot = build_bot(settings)
            sender = asyncio.create_task(OutboxSender(self.db, bot, settings).run())
            totals, answers = [], []
            pause = random.Random(16)
            try:
                async with feed_server(self.db, self.settings) as port, aiohttp.ClientSession() as client:
                    url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
                    for n, (chat, box) in enumerate(boxes):
                        await asyncio.sleep(pause.uniform(0, 1))  # a random moment of the sender's poll
                        at = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(
                            minutes=n
                        )
                        body = json.dumps([dcsa_event(box, "INSP", at)]).encode()
                        headers = {
                            SUBSCRIPTION_HEADER: added.subscription_id,
                            SIGNATURE_HEADER: sign(secret, body),
                        }
                        started = time.perf_counter()
                        async with client.post(url, data=body, headers=headers) as answer:
                            assert answer.status == 204, await answer.text()
                        answered = time.perf_counter()
                        await asyncio.wait_for(arrived[chat].wait(), 30)
                        totals.append((time.perf_counter() - started) * 1000)
                        answers.append((answered - started) * 1000)
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
                await bot.session.close()
        for name, values in (("POST answered (204)", answers), ("POST to push at the sandbox", totals)):
            self.results.latency.append(
                [self.backend, name, len(values), percentile(values, 50), percentile(values, 95), max(values)]
            )

    @contextlib.contextmanager
    def profiled(self, name: str) -> Iterator[None]:
        if not self.args.profile:
            yield
            return
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()
            self.args.profile.mkdir(parents=True, exist_ok=True)
            target = self.args.profile / f"{self.backend.lower().replace(' + ', '-')}-{name}.pstats"
            profiler.dump_stats(target)
            self.results.notes.append(f"profile of {name}: {target}")


def _parse_only(paths: Sequence[Path], codes: PartnerCodes, settings: Settings) -> float:
    """Seconds to read and map the files without the database: the EDIFACT reader's own share."""
    with stopwatch() as took:
        for path in paths:
            interchange = read_interchange(path.read_bytes())
            prepared = interchange.prepared_at.replace(tzinfo=settings.tz)
            sender, reference = interchange.sender, interchange.control_reference
            ctx = Context(sender, reference, codes.for_sender(sender), settings.tz, prepared)
            for message in interchange.messages:
                message_events(message, ctx)
    return took[0]


@contextlib.asynccontextmanager
async def prepared(args: argparse.Namespace, sizes: dict[str, int]) -> AsyncIterator[tuple[str, str, World]]:
    if args.database_url:
        async with pg_database(args.database_url) as url:
            with stopwatch() as took:
                await migrate.upgrade_async(url)
                world = await asyncio.to_thread(in_subprocess, fill_postgres, url, **sizes)
            print(f"PostgreSQL data ready in {took[0]:.0f} s")
            yield "PostgreSQL", url, world
        return
    keep = args.keep or default_cache(sizes)
    path = sqlite_file()
    with stopwatch() as took:
        world = await asyncio.to_thread(in_subprocess, prepare_sqlite, path, keep=keep, **sizes)
    print(f"SQLite data ready in {took[0]:.0f} s ({path}, cached in {keep})")
    try:
        yield "SQLite", sqlite_url(path), world
    finally:
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        path.parent.rmdir()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5k customers, 50k shipments")
    parser.add_argument("--batch", type=int, default=500, help="events per POST and boxes per file")
    parser.add_argument("--batches", type=int, help="POSTs, and files (default 20, quick 4)")
    parser.add_argument(
        "--pushes", type=int, help="single-event POSTs timed to the push (default 100, quick 30)"
    )
    parser.add_argument("--keep", type=Path, help="SQLite cache file (see bench.datagen)")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throwaway database on")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of (a) and (b) into this folder")
    parser.add_argument(
        "--without-invoice-index",
        action="store_true",
        help="drop migration 0013's invoices (shipment_id, settled, due_on) index in the throwaway database",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.batches = args.batches or (4 if args.quick else 20)
    args.pushes = min(args.pushes or (30 if args.quick else 100), sizes["linked_users"])
    settings = Settings(run_scheduler=False)
    print(f"{machine()}\n{dt.datetime.now():%Y-%m-%d %H:%M}, load average {_load()}")
    print(f"{sizes['customers']:,} customers, {sizes['shipments']:,} shipments; "
          f"{args.batches} x {args.batch} events by each path; {args.pushes} pushes timed")  # fmt: skip
    started = time.perf_counter()
    async with prepared(args, sizes) as (backend, url, world):
        results = await Bench(backend, url, world, settings, args).run()
    print_table(
        "Feed events ingested: through PortCRM against a raw bulk insert of the same cargo_events rows",
        results.rates,
        ["Database", "Path", "Events", "Wall s", "Events/s", "Raw rows/s", "Ratio", "Detail"],
    )
    print_table(
        "From a carrier's POST to the subscriber's push at the Bot API sandbox (ms)",
        results.latency,
        ["Database", "Measured", "Events", "p50", "p95", "max"],
    )
    for note in results.notes:
        print(note)
    print(f"\nLoad average at the end {_load()}; total {time.perf_counter() - started:.0f} s")


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    asyncio.run(main())
