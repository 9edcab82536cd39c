"""PortCRM at port scale (100k customers, 1M shipments, 1M invoices) on SQLite and PostgreSQL.

Measures what grows with the archive: a customer's /track lookup through the real service against a raw
indexed lookup of the same row (the ratio is the price of the ORM, the transaction and the status card),
staff's /find customer search by every kind of query against a raw lookup of one customer by code, then the
morning's scheduled work (overdue scan, revisit lists, monthly grading) by wall time. Every statement those
run is captured and EXPLAINed, and a full scan of shipments or invoices is reported.

    .venv/bin/python -m bench.data_scale                 # full scale, SQLite then PostgreSQL
    .venv/bin/python -m bench.data_scale --quick         # a small smoke run
    .venv/bin/python -m bench.data_scale --parts search  # only /find
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.common import (
    in_subprocess,
    machine,
    percentile,
    pg_database,
    print_table,
    rss_mb,
    sqlite_file,
    sqlite_url,
    stopwatch,
)
from bench.datagen import World, default_cache, fill_postgres, prepare_sqlite
from portcrm.calendar import PortCalendar
from portcrm.jobs import grading, receivables, revisits
from portcrm.jobs.base import JobContext
from portcrm.services.archive import search
from portcrm.services.care import visits
from portcrm.services.care.revisits import due_revisits
from portcrm.services.grading.scores import score_customers
from portcrm.services.identity.users import Identity
from portcrm.services.tracking import shipments as tracking
from portcrm.settings import Settings
from portcrm.storage import migrate
from portcrm.storage.db import Database

FULL = {"customers": 100_000, "shipments": 1_000_000, "invoices": 1_000_000, "linked_users": 1000}
QUICK = {"customers": 5_000, "shipments": 50_000, "invoices": 50_000, "linked_users": 50}
WORK_TIMEOUT = 600  # seconds: a job slower than this is a finding in itself
DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BIG_TABLES = ("shipments", "invoices")  # a full scan of these is a finding
LARGE_TABLES = ("containers", "cargo_events", "payments", "visits")  # listed, for the record
# a full scan, or (SQLite) an index used only for a true/false flag: every open invoice, every active shipment
FULL_SCAN_SQLITE = r"^SCAN (\w+)|^SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \((?:settled|completed)=\?\)"
FULL_SCAN_PG = r"Seq Scan on (\w+)"
# reading a year of everything is what grading is: a full scan there is the plan, not a mistake
EXPECTED_SCANS = {"grading run", "grading: scoring"}


@dataclass(frozen=True, slots=True)
class Sample:
    shipment_id: int
    customer_id: int
    contact_id: int | None
    bl_number: str | None
    booking_ref: str
    container: str


RAW_SQL = {
    "B/L": "SELECT * FROM shipments WHERE bl_number = {p} AND customer_id = {p}",
    "booking": "SELECT * FROM shipments WHERE booking_ref = {p} AND customer_id = {p}",
    "container": "SELECT s.* FROM containers c JOIN shipments s ON s.id = c.shipment_id "
    "WHERE c.number = {p} AND s.customer_id = {p} ORDER BY s.completed, s.created_at DESC LIMIT 1",
}
CUSTOMER_SQL = "SELECT id, code, name, name_en FROM customers WHERE code = {p}"
SEARCH_SAMPLE_SQL = (
    "SELECT c.code, c.name, (SELECT min(k.phone) FROM contacts k WHERE k.customer_id = c.id) "
    "FROM customers c WHERE c.id = {p}"
)
PARTS = ("track", "search", "work")
SAMPLE_SQL = (
    "SELECT s.id, s.customer_id, (SELECT min(k.id) FROM contacts k WHERE k.customer_id = s.customer_id), "
    "s.bl_number, s.booking_ref, (SELECT min(c.number) FROM containers c WHERE c.shipment_id = s.id) "
    "FROM shipments s WHERE s.id = {p}"
)


class Raw:
    """The baseline: the driver itself, one indexed statement, no ORM and no transaction of ours."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.sqlite: sqlite3.Connection | None = None
        self.pg: Any = None

    async def open(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            self.sqlite = sqlite3.connect(self.url.database or "")
        else:
            import asyncpg

            dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.pg = await asyncpg.connect(dsn)

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.pg is not None:
            await self.pg.close()

    async def one(self, sql: str, *args: Any) -> Any:
        if self.sqlite is not None:
            return self.sqlite.execute(sql.format(p="?"), args).fetchone()
        numbered = iter(range(1, 100))
        return await self.pg.fetchrow(re.sub(r"\{p\}", lambda _: f"${next(numbered)}", sql), *args)


@dataclass
class Capture:
    """The statements an operation sends, each kept once with its first parameters, for EXPLAIN."""

    statements: dict[str, Any] = field(default_factory=dict)
    active: bool = False

    def attach(self, database: Database) -> None:
        @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
        def _seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
            if (
                self.active
                and not many
                and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH"))
            ):
                self.statements.setdefault(statement, parameters)


@dataclass
class Seen:
    start: float  # resident memory of the process before the work, in MB
    rss: float  # the most resident memory of the process during the work, in MB
    stall: float = 0.0  # the longest the event loop was kept from running, in seconds


@contextlib.asynccontextmanager
async def watch(period: float = 0.01) -> AsyncIterator[Seen]:
    """What the work did to a bot sharing its process: how long chats had to wait, how much memory it took."""
    seen = Seen(start=rss_mb(), rss=rss_mb())

    async def tick() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(period)
            seen.stall = max(seen.stall, time.perf_counter() - started - period)
            seen.rss = max(seen.rss, rss_mb())

    ticker = asyncio.create_task(tick())
    try:
        yield seen
    finally:
        ticker.cancel()


@dataclass(frozen=True, slots=True)
class Scan:
    operation: str
    table: str
    plan: str
    sql: str


async def explain(database: Database, operation: str, capture: Capture) -> list[Scan]:
    """Full scans of the large tables in the plans of the captured statements."""
    sqlite = database.is_sqlite
    scans = []
    async with database.engine.connect() as connection:
        for statement, parameters in capture.statements.items():
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = (await connection.exec_driver_sql(prefix + statement, parameters)).all()
            lines = [row[-1] if sqlite else row[0] for row in rows]
            for line in lines:
                match = re.search(FULL_SCAN_SQLITE if sqlite else FULL_SCAN_PG, line.strip())
                table = match and (match.group(1) or match.group(2))
                if table in BIG_TABLES + LARGE_TABLES:
                    sql = " ".join(statement.split())
                    scans.append(Scan(operation, table, line.strip(), sql[:90]))
        await connection.rollback()
    capture.statements.clear()
    return scans


@dataclass
class Suite:
    backend: str
    database: Database
    raw: Raw
    world: World
    settings: Settings
    lookups: int
    capture: Capture = field(default_factory=Capture)
    parts: tuple[str, ...] = PARTS
    tracking_rows: list[list[object]] = field(default_factory=list)
    search_rows: list[list[object]] = field(default_factory=list)
    work_rows: list[list[object]] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)

    async def run(self) -> None:
        self.capture.attach(self.database)
        await self.raw.open()
        try:
            if "track" in self.parts:
                await self.tracking()
            if "search" in self.parts:
                await self.searches()
            if "work" in self.parts:
                await self.scheduled_work()
        finally:
            await self.raw.close()
            await self.database.dispose()

    async def samples(self, count: int) -> list[Sample]:
        rng = random.Random(7)
        found = []
        for shipment_id in rng.sample(range(1, self.world.shipments + 1), count):
            row = await self.raw.one(SAMPLE_SQL, shipment_id)
            found.append(Sample(*row))
        return found

    async def tracking(self) -> None:
        samples = await self.samples(self.lookups)
        for kind, sql in RAW_SQL.items():
            service: list[float] = []
            raw: list[float] = []
            self.capture.active = True
            # the newest bookings have no B/L yet: those are left out of the B/L lookups
            chosen = [s for s in samples if s.bl_number or kind != "B/L"]
            for n, sample in enumerate(chosen):
                value = {
                    "B/L": sample.bl_number,
                    "booking": sample.booking_ref,
                    "container": sample.container,
                }
                text = value[kind]
                assert text is not None
                identity = Identity(0, "en", contact_id=sample.contact_id, customer_id=sample.customer_id)
                with stopwatch() as took:
                    async with self.database.session() as session:
                        card = await tracking.track(session, identity, text, today=dt.date.today())
                assert card.shipment_id == sample.shipment_id, (kind, sample)
                with stopwatch() as took_raw:
                    assert await self.raw.one(sql, text, sample.customer_id) is not None
                self.capture.active = False
                if n >= 10:  # the first few warm caches and compile statements
                    service.append(took[0] * 1000)
                    raw.append(took_raw[0] * 1000)
            self.scans += await explain(self.database, f"track by {kind}", self.capture)
            ratio = percentile(service, 50) / percentile(raw, 50)
            self.tracking_rows.append(
                [self.backend, kind, len(service), percentile(service, 50), percentile(service, 99),
                 percentile(raw, 50), percentile(raw, 99), f"{ratio:.0f}×"]
            )  # fmt: skip

    async def search_queries(self, count: int) -> dict[str, list[str]]:
        """What staff type to /find a customer, `count` of each kind, from random customers' own data."""
        from pypinyin import Style, lazy_pinyin  # the bench's own use: the service must not need it to read

        rng = random.Random(11)
        kinds: dict[str, list[str]] = {}
        for customer_id in rng.sample(range(1, self.world.customers + 1), count):
            code, name, phone = await self.raw.one(SEARCH_SAMPLE_SQL, customer_id)
            initials = "".join(lazy_pinyin(name[2:6], style=Style.FIRST_LETTER)).lower()
            for kind, text in (
                ("code", code),
                ("code prefix", code[:6].lower()),
                ("name prefix", name[:4]),
                ("name substring", name[2:6]),
                ("pinyin initials", initials),
                ("full pinyin", "".join(lazy_pinyin(name[:4]))),
                ("phone", phone[3:]),
                ("no match", rng.choice(("xqzxqz", "不存在的公司", "zz9999"))),
            ):
                kinds.setdefault(kind, []).append(text)
        return kinds

    async def searches(self) -> None:
        """/find as staff use it (one session per update), against a raw lookup of one customer by code."""
        queries = await self.search_queries(self.lookups // 3 + 10)
        raw: list[float] = []
        for code in queries["code"]:
            with stopwatch() as took_raw:
                assert await self.raw.one(CUSTOMER_SQL, code) is not None
            raw.append(took_raw[0] * 1000)
        raw = raw[10:]
        async with watch() as seen:
            for kind, texts in queries.items():
                service: list[float] = []
                self.capture.active = True
                for n, text in enumerate(texts):
                    with stopwatch() as took:
                        async with self.database.session() as session:
                            found = await search.find_customers(session, text)
                    self.capture.active = False
                    assert bool(found) == (kind != "no match"), (kind, text)
                    assert kind != "code" or found[0].code == text, (kind, text)
                    if n >= 10:  # the first few warm caches and compile statements
                        service.append(took[0] * 1000)
                self.scans += await explain(self.database, f"/find by {kind}", self.capture)
                ratio = percentile(service, 50) / percentile(raw, 50)
                self.search_rows.append(
                    [self.backend, kind, len(service), percentile(service, 50), percentile(service, 99),
                     percentile(raw, 50), percentile(raw, 99), f"{ratio:.0f}×"]
                )  # fmt: skip
        print(f"{self.backend}: /find took the event loop for {seen.stall * 1000:.0f} ms at most and "
              f"{seen.rss - seen.start:+.0f} MB of resident memory")  # fmt: skip

    async def timed(self, name: str, work: Callable[[], Awaitable[Any]], note: Callable[[Any], str]) -> None:
        self.capture.active = True
        async with watch() as seen, asyncio.timeout(WORK_TIMEOUT):
            with stopwatch() as took:
                result = await work()
        self.capture.active = False
        scans = await explain(self.database, name, self.capture)
        self.scans += scans
        findings = sorted({s.table for s in scans if s.table in BIG_TABLES})
        verdict = (
            "none"
            if not findings
            else ", ".join(findings) + (" (expected)" if name in EXPECTED_SCANS else " (FULL SCAN)")
        )
        row = [self.backend, name, took[0], seen.stall * 1000, seen.rss - seen.start, note(result), verdict]
        self.work_rows.append(row)

    async def scheduled_work(self) -> None:
        print(f"{self.backend}: this process holds {rss_mb():.0f} MB before the scheduled work")
        settings, db, today = self.settings, self.database, self.world.today
        cadence, tz = settings.revisit_cadence_days, settings.tz
        now = dt.datetime.combine(today, dt.time(settings.morning_hour), tzinfo=tz)
        ctx = JobContext(db, settings, now)
        marketer = next(s.staff_id for s in self.world.staff if s.role == "market")
        calendar = PortCalendar(settings)

        async def one_marketer() -> Any:
            async with db.session() as session:
                return await due_revisits(session, marketer, today, cadence, calendar=calendar)

        async def managers_list() -> Any:
            async with db.session() as session:
                return await visits.revisits_by_marketer(session, today, cadence, calendar=calendar)

        async def scoring() -> Any:
            async with db.session() as session:
                return await score_customers(
                    session, today, settings.grading_weights, settings.grading_thresholds
                )

        def counted(result: Any) -> str:
            return f"{len(result):,} customers"

        await self.timed("/today: one marketer's revisits", one_marketer, counted)
        await self.timed("/today: a manager's (everyone's)", managers_list, lambda r: f"{len(r)} marketers")
        await self.timed(
            "revisit reminders job",
            lambda: revisits.remind(ctx),
            lambda r: f"{r['due']:,} due, {r['reminders']} reminders",
        )
        await self.timed(
            "overdue scan, legal-action flags + alerts",
            lambda: receivables.alert_and_flag(ctx),
            lambda r: (
                f"{r.overdue:,} overdue, {r.flagged:,} flagged, {r.overdue_alerts + r.legal_alerts} alerts"
            ),
        )
        await self.timed(
            "dunning statements",
            lambda: receivables.send_statements(ctx),
            lambda r: f"{r[0]:,} statements, {r[1]:,} unreachable",
        )
        await self.timed("grading: scoring", scoring, counted)
        await self.timed("grading run", lambda: grading.run(ctx), lambda r: f"{r['proposed']:,} proposed")


async def run_sqlite(args: argparse.Namespace, sizes: dict[str, int], settings: Settings) -> Suite:
    keep = args.keep or default_cache(sizes)
    path = sqlite_file()
    with stopwatch() as took:
        # generated in another process, so that this one's memory is the services' alone
        world = await asyncio.to_thread(in_subprocess, prepare_sqlite, path, keep=keep, **sizes)
    print(f"SQLite data ready in {took[0]:.0f} s ({path}, cached in {keep})")
    url = sqlite_url(path)
    suite = Suite("SQLite", Database(url), Raw(url), world, settings, args.lookups, parts=args.parts)
    try:
        await suite.run()
    finally:
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        path.parent.rmdir()
    return suite


async def run_postgres(args: argparse.Namespace, sizes: dict[str, int], settings: Settings) -> Suite:
    async with pg_database(args.database_url) as url:
        with stopwatch() as took:
            await migrate.upgrade_async(url)
            world = await asyncio.to_thread(in_subprocess, fill_postgres, url, **sizes)
        print(f"PostgreSQL data ready in {took[0]:.0f} s")
        suite = Suite("PostgreSQL", Database(url), Raw(url), world, settings, args.lookups, parts=args.parts)
        await suite.run()
        return suite


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5k customers, 50k shipments and invoices")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--shipments", type=int)
    parser.add_argument("--invoices", type=int)
    parser.add_argument("--linked-users", type=int, help="as bench.datagen: lets the benches share one cache")
    parser.add_argument("--lookups", type=int, help="track lookups per kind (default 300, quick 40)")
    parser.add_argument("--keep", type=Path, help="SQLite cache file (see bench.datagen)")
    parser.add_argument(
        "--database-url", default=os.environ.get("PORTCRM_BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server to create a throwaway database on",
    )  # fmt: skip
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=PARTS, help="what to measure")
    args = parser.parse_args()
    base = QUICK if args.quick else FULL
    sizes = {name: getattr(args, name) or base[name] for name in base}
    args.lookups = args.lookups or (40 if args.quick else 300)
    settings = Settings(run_scheduler=False)
    print(f"{machine()}\n{sizes['customers']:,} customers, {sizes['shipments']:,} shipments, "
          f"{sizes['invoices']:,} invoices; {args.lookups} lookups per kind")  # fmt: skip
    started = time.perf_counter()
    suites = [await run_sqlite(args, sizes, settings)]
    if not args.sqlite_only:
        suites.append(await run_postgres(args, sizes, settings))
    print_table(
        "Track lookups: the service (as /track) against a raw indexed lookup of the same row (ms)",
        [row for suite in suites for row in suite.tracking_rows],
        ["Database", "By", "Lookups", "Service p50", "Service p99", "Raw p50", "Raw p99", "Ratio p50"],
    )
    print_table(
        "/find: the customer search service against a raw lookup of one customer by code (ms)",
        [row for suite in suites for row in suite.search_rows],
        ["Database", "Query", "Searches", "Service p50", "Service p99", "Raw p50", "Raw p99", "Ratio p50"],
    )
    print_table(
        "Scheduled work at scale (one day; notifications are queued, not sent)",
        [row for suite in suites for row in suite.work_rows],
        [
            "Database",
            "Work",
            "Wall s",
            "Loop stall ms",
            "RSS +MB",
            "Result",
            "Full scans of shipments/invoices",
        ],
    )
    print_table(
        "Full scans of large tables in the plans (EXPLAIN of every statement captured)",
        [[suite.backend, s.operation, s.table, s.plan, s.sql] for suite in suites for s in suite.scans],
        ["Database", "Work", "Table", "Plan", "Statement"],
    )
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
