"""A port's worth of data for the benches: 100k customers, 1M shipments, 1M invoices, in about a minute.

Rows go in by raw bulk inserts (sqlite3 executemany in one transaction, asyncpg COPY), never through the ORM,
with the column lists checked against the SQLAlchemy tables. Everything is dated around today (port time):
shipments span three years up to voyages still at sea, invoices are mostly settled but some are overdue (those
overdue before yesterday were already alerted, as after a daily receivables run), and each customer's latest
visit sets a revisit date spread around today. The first `linked_users` customers' primary contacts are linked
to Telegram users (contact.telegram_user_id plus a chat_users row, as linking leaves them), and World names
one B/L, booking and container number of each one's own company for real /track lookups.

    .venv/bin/python -m bench.datagen --keep /tmp/portcrm-100k.db     # generate once, reuse afterwards
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from stdnum import iso6346

from bench.common import sqlite_url
from portcrm.demo.maritime import CARRIERS, LESSOR_OWNER_CODES, PORTS, SIZE_TYPES, TERMINALS, VESSELS
from portcrm.demo.numbers import credit_code
from portcrm.demo.vocabulary import (
    CARGO_OWNER_SUFFIXES,
    CITIES,
    FORWARDER_SUFFIXES,
    SHIPPING_LINE_SUFFIXES,
    TRADE_WORDS,
)
from portcrm.enums import CargoEventType as E
from portcrm.enums import ContactMethod, CreditRating, CustomerStatus, CustomerType, Grade, Role
from portcrm.models import Base
from portcrm.search_keys import customer_grams, customer_keys
from portcrm.settings import Settings
from portcrm.storage import migrate

VERSION = 3  # bump when the generated data changes, so cached files are rebuilt (the schema head is keyed)
LINKED_USER_BASE = 6_000_000_000  # telegram ids of linked customer contacts: base + customer id
STAFF_USER_BASE = 800_000_000  # telegram ids of staff: base + staff id
CHUNK = 20_000  # shipments (or invoices) generated and written per batch
SPAN_DAYS = 3 * 365
STAFF_PLAN = ((Role.MARKET, 20), (Role.OPERATIONS, 8), (Role.FINANCE, 8), (Role.MANAGER, 3), (Role.ADMIN, 1))
GRADES = ((Grade.A, 0.1, 10.0), (Grade.B, 0.3, 4.0), (Grade.C, 0.6, 1.3))  # share, shipment weight
TYPES = (
    (CustomerType.FORWARDER, 50),
    (CustomerType.CARGO_OWNER, 35),
    (CustomerType.SHIPPING_LINE, 5),
    (CustomerType.SERVICE_PROVIDER, 10),
)
RATINGS = (*CreditRating, None)
CADENCE = {Grade.A: 30, Grade.B: 60, Grade.C: 90}  # settings.revisit_cadence_days' defaults
EXPORT_FLOW = (E.BOOKING_CONFIRMED, E.EMPTY_PICKUP, E.GATE_IN, E.LOADED, E.VESSEL_DEPARTED)
IMPORT_FLOW = (E.VESSEL_ARRIVED, E.DISCHARGED, E.CUSTOMS_RELEASED, E.AVAILABLE_FOR_PICKUP, E.GATE_OUT)
WHOLE_SHIPMENT = {E.BOOKING_CONFIRMED, E.VESSEL_DEPARTED, E.VESSEL_ARRIVED, E.CUSTOMS_RELEASED}
EVENT_DAYS = 120  # shipments created this recently carry their event timeline
OWNERS = tuple(code for carrier in CARRIERS.values() for code in carrier.owner_codes) + LESSOR_OWNER_CODES
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
CARGO = ("ELECTRONICS", "TEXTILES", "MACHINERY PARTS", "FURNITURE", "WOOD PULP", "FROZEN PORK (REEFER)")
SUFFIXES = (*FORWARDER_SUFFIXES, *((zh, en) for zh, en, _ in CARGO_OWNER_SUFFIXES), *SHIPPING_LINE_SUFFIXES)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超霞平"


def columns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# what the ORM's validator keeps on Customer (and its hook in customer_search_grams), by the same functions
SEARCH_COLUMNS = columns("search_code search_name search_name_en search_pinyin search_initials")

# The columns each table is written with: checked against the SQLAlchemy table before the first row.
COLUMNS: dict[str, tuple[str, ...]] = {
    "staff": columns("id telegram_user_id name phone active created_at updated_at"),
    "staff_roles": columns("id staff_id role"),
    "customers": columns(
        "id code name name_en type status uscc address cooperation_since account_manager_id grade "
        "grade_reasons annual_volume_teu credit_rating currency created_at updated_at"
    )
    + SEARCH_COLUMNS,
    "customer_search_grams": columns("kind gram customer_id"),
    "contacts": columns(
        "id customer_id name title phone locale is_primary is_billing consent_greetings "
        "consent_marketing privacy_notice_at telegram_user_id created_at updated_at"
    ),
    "chat_users": columns("telegram_user_id first_name telegram_language first_seen_at last_seen_at"),
    "credit_limits": columns("id customer_id amount currency effective_from created_at"),
    "shipments": columns(
        "id customer_id bl_number booking_ref direction cargo_description weight_kg vessel_name "
        "voyage vessel_imo port_of_loading port_of_discharge etd eta ata status location "
        "customs_hold payment_hold completed created_at updated_at"
    ),
    "containers": columns("id shipment_id number size_type seal_number"),
    "cargo_events": columns(
        "id shipment_id container_number event_type occurred_at location source created_at"
    ),
    "invoices": columns(
        "id number customer_id shipment_id issued_on due_on amount currency paid_amount "
        "description settled legal_action_since overdue_alerted_on created_at updated_at"
    ),
    "payments": columns("id reference customer_id invoice_id paid_on amount currency created_at"),
    "visits": columns(
        "id customer_id staff_id contact_id method occurred_at notes next_revisit_on created_at"
    ),
}


@dataclass(frozen=True, slots=True)
class LinkedUser:
    """A Telegram user linked to a customer's primary contact, with numbers of that company's own cargo."""

    telegram_user_id: int
    customer_id: int
    contact_id: int
    bl_number: str
    booking_ref: str
    container: str


@dataclass(frozen=True, slots=True)
class StaffUser:
    staff_id: int
    telegram_user_id: int
    role: str


@dataclass(frozen=True, slots=True)
class World:
    """What was generated, for the benches to address: sizes, the day it is dated around, who can chat."""

    customers: int
    shipments: int
    invoices: int
    today: dt.date
    staff: tuple[StaffUser, ...]
    linked: tuple[LinkedUser, ...]  # chat_users rows carry telegram_language NULL: send updates without one

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "today": self.today.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> World:
        return cls(
            customers=data["customers"],
            shipments=data["shipments"],
            invoices=data["invoices"],
            today=dt.date.fromisoformat(data["today"]),
            staff=tuple(StaffUser(**s) for s in data["staff"]),
            linked=tuple(LinkedUser(**u) for u in data["linked"]),
        )


Batch = tuple[str, list[tuple[Any, ...]]]

# ISO 6346 letter values skip multiples of 11; sums are split in parts so a check digit is three lookups
_ISO_ALPHABET = "0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"
_OWNER_SUM = {o: sum(_ISO_ALPHABET.index(c) << i for i, c in enumerate(o)) for o in OWNERS}
_SERIAL_HI = [sum(int(d) << (4 + i) for i, d in enumerate(f"{n:03d}")) for n in range(1000)]
_SERIAL_LO = [sum(int(d) << (7 + i) for i, d in enumerate(f"{n:03d}")) for n in range(1000)]


def container_number(k: int) -> str:
    """The k-th container generated: distinct for the first 30M, with a valid ISO 6346 check digit."""
    owner, serial = OWNERS[k % len(OWNERS)], k // len(OWNERS) % 1_000_000
    check = (_OWNER_SUM[owner] + _SERIAL_HI[serial // 1000] + _SERIAL_LO[serial % 1000]) % 11 % 10
    return f"{owner}{serial:06d}{check}"


@dataclass(frozen=True, slots=True)
class _Driver:
    """Values as SQLAlchemy binds them for each driver: SQLite stores text dates and float money."""

    ts: Callable[[dt.datetime], Any]
    day: Callable[[dt.date], Any]
    money: Callable[[int], Any]  # from cents


SQLITE = _Driver(lambda v: v.isoformat(" ", "microseconds"), dt.date.isoformat, lambda cents: cents / 100)
POSTGRES = _Driver(lambda v: v, lambda v: v, lambda cents: Decimal(cents).scaleb(-2))
_SIZES = [size for size, weight, _ in SIZE_TYPES for _ in range(weight)]
_KG = {size: kg for size, _, kg in SIZE_TYPES}
_STATUSES = (
    [CustomerStatus.ACTIVE.value] * 95
    + [CustomerStatus.SUSPENDED.value] * 3
    + [CustomerStatus.TERMINATED.value] * 2
)


class _Plan:
    """Generates the rows table by table, in batches; every random choice comes from one seeded RNG."""

    def __init__(
        self, sizes: dict[str, int], seed: int, driver: _Driver, today: dt.date | None = None
    ) -> None:
        customers, shipments, linked = sizes["customers"], sizes["shipments"], sizes["linked_users"]
        if linked > customers or (linked and linked > shipments // 3):
            raise ValueError("linked_users: at most one per customer and per three shipments")
        self.sizes, self.v, self.rng = sizes, driver, random.Random(seed)
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.today = today or port_today()
        self.start = self.now - dt.timedelta(days=SPAN_DAYS)
        self.staff: list[StaffUser] = []
        self.linked: list[LinkedUser] = []
        self.grade: list[Grade] = []
        self.primary_contact: list[int] = []
        self.shipment_customer: list[int] = []
        # linked customer j+1 owns one shipment of the last two months (one of any time if too few are)
        recent = range(shipments - shipments * 60 // SPAN_DAYS, shipments - shipments * 8 // SPAN_DAYS)
        pool = recent if len(recent) >= 3 * linked else range(1, shipments + 1)
        step = len(pool) // linked if linked else 0
        self.linked_shipment = {pool.start + j * step: j + 1 for j in range(linked)}

    def batches(self) -> Iterator[Batch]:
        yield from self._staff()
        yield from self._customers()
        yield from self._shipments()
        yield from self._invoices()
        yield from self._visits()

    def world(self) -> World:
        return World(
            self.sizes["customers"],
            self.sizes["shipments"],
            self.sizes["invoices"],
            self.today,
            tuple(self.staff),
            tuple(sorted(self.linked, key=lambda u: u.customer_id)),
        )

    def _staff(self) -> Iterator[Batch]:
        rng, ts = self.rng, self.v.ts
        staff, roles, users = [], [], []
        for role, count in STAFF_PLAN:
            for _ in range(count):
                sid = len(staff) + 1
                tg = STAFF_USER_BASE + sid
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                staff.append((sid, tg, name, f"+86137{sid:08d}", True, ts(self.start), ts(self.start)))
                roles.append((sid, sid, role.value))
                users.append((tg, name, None, ts(self.start), ts(self.now)))
                self.staff.append(StaffUser(sid, tg, role.value))
        yield "staff", staff
        yield "staff_roles", roles
        yield "chat_users", users

    def _customers(self) -> Iterator[Batch]:
        rng, v, n = self.rng, self.v, self.sizes["customers"]
        marketers = [s.staff_id for s in self.staff if s.role == Role.MARKET]
        grades = rng.choices([g for g, _, _ in GRADES], [share for _, share, _ in GRADES], k=n)
        types = rng.choices([t.value for t, _ in TYPES], [w for _, w in TYPES], k=n)
        self.grade = [Grade.C, *grades]  # 1-based, as ids are
        self.primary_contact = [0] * (n + 1)
        contact_ids = itertools.count(1)
        used_uscc: set[str] = set()
        for first in range(1, n + 1, CHUNK):
            customers, grams, contacts, users, limits = [], [], [], [], []
            for cid in range(first, min(first + CHUNK, n + 1)):
                grade, city = grades[cid - 1], rng.choice(CITIES)
                trade, trade2, suffix = rng.choice(TRADE_WORDS), rng.choice(TRADE_WORDS), rng.choice(SUFFIXES)
                district, division = rng.choice(city.districts)
                uscc = credit_code(rng, division)
                while uscc in used_uscc:
                    uscc = credit_code(rng, division)
                used_uscc.add(uscc)
                since = v.day(self.today - dt.timedelta(days=rng.randrange(30, 15 * 365)))
                created = v.ts(self.start + dt.timedelta(seconds=cid))
                address = f"{city.address_prefix}{district}{rng.choice(city.streets)}{cid % 999 + 1}号"
                code, name = f"C{cid:07d}", f"{city.zh}{trade[0]}{trade2[0]}{suffix[0]}"
                name_en = f"{city.en} {trade[1]} {trade2[1]} {suffix[1]}"
                keys = customer_keys(code, name, name_en)
                customers.append((
                    cid, code, name, name_en, types[cid - 1], rng.choice(_STATUSES), uscc, address, since,
                    rng.choice(marketers), grade.value, "[]", rng.randrange(50, 50_000), rng.choice(RATINGS),
                    "CNY", created, created, *(keys[column] for column in SEARCH_COLUMNS),
                ))  # fmt: skip
                cut = customer_grams(keys["search_name"], keys["search_name_en"], keys["search_initials"])
                grams += [(kind, gram, cid) for kind, gram in cut]
                for primary in (True, False)[: 1 + (rng.random() < 0.5)]:
                    kid = next(contact_ids)
                    tg = LINKED_USER_BASE + cid if primary and cid <= len(self.linked_shipment) else None
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + ("" if primary else rng.choice(GIVEN))
                    if primary:
                        self.primary_contact[cid] = kid
                    contacts.append((
                        kid, cid, name, "总经理" if primary else "财务", f"+86139{kid:08d}", None, primary,
                        not primary or rng.random() < 0.5, rng.random() < 0.6, rng.random() < 0.3,
                        created if tg else None, tg, created, created,
                    ))  # fmt: skip
                    if tg:
                        users.append((tg, name, None, created, v.ts(self.now)))
                if rng.random() < 0.7:
                    limits.append(
                        (cid, cid, v.money(rng.randrange(10, 2000) * 1_000_000), "CNY", since, created)
                    )
            yield "customers", customers
            yield "customer_search_grams", grams
            yield "contacts", contacts
            yield "chat_users", users
            yield "credit_limits", limits

    def _shipments(self) -> Iterator[Batch]:
        rng, n = self.rng, self.sizes["shipments"]
        weight = {g: w for g, _, w in GRADES}
        cumulative = list(itertools.accumulate(weight[g] for g in self.grade[1:]))
        self.shipment_customer = [0, *rng.choices(range(1, len(cumulative) + 1), cum_weights=cumulative, k=n)]
        for sid, cid in self.linked_shipment.items():
            self.shipment_customer[sid] = cid
        box = 0
        for first in range(1, n + 1, CHUNK):
            shipments: list[Any] = []
            containers: list[Any] = []
            events: list[Any] = []
            for sid in range(first, min(first + CHUNK, n + 1)):
                box = self._shipment(sid, box, shipments, containers, events)
            iso6346.validate(containers[0][2])  # the fast check digit agrees with python-stdnum
            yield "shipments", shipments
            yield "containers", containers
            yield "cargo_events", events

    def _shipment(
        self, sid: int, box: int, shipments: list[Any], containers: list[Any], events: list[Any]
    ) -> int:
        rng, ts, now, hour = self.rng, self.v.ts, self.now, dt.timedelta(hours=1)
        created = self.start + dt.timedelta(days=SPAN_DAYS * sid / self.sizes["shipments"])
        vessel, carrier_name, imo = rng.choice(VESSELS)
        carrier, port = CARRIERS[carrier_name], rng.choice(PORTS)
        export = rng.random() < 0.58
        if export:
            etd = created + hour * (120 + 168 * rng.random())
            eta = etd + dt.timedelta(days=port.transit_days)
            passed, flow = etd, EXPORT_FLOW
        else:
            eta = created + hour * (72 + 168 * rng.random())
            etd = eta - dt.timedelta(days=port.transit_days)
            passed, flow = eta, IMPORT_FLOW
        ata = eta + hour * (48 * rng.random() - 12) if not export and eta < now else None
        # a booking gets its B/L a few days before departure: the newest bookings have none yet
        fresh = sid % 3 == 0 and created > now - dt.timedelta(days=7) and sid not in self.linked_shipment
        bl = None if fresh else f"{carrier.bl_prefix}{sid:010d}"
        progress = len(flow) if passed < now else min(len(flow) - 1, (now - created).days // 3 + 1)
        count = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
        size = rng.choice(_SIZES)
        numbers = [container_number(box + k) for k in range(count)]
        for k, number in enumerate(numbers):
            containers.append((box + k + 1, sid, number, size, f"{carrier.seal_prefix}{box + k:08d}"))
        if created > now - dt.timedelta(days=EVENT_DAYS):
            moment = created
            for event in flow[:progress]:
                moment += hour * (6 + 54 * rng.random())
                on = "" if event in WHOLE_SHIPMENT else numbers[0]
                stamp = ts(moment)
                events.append((None, sid, on, event.value, stamp, TERMINALS[sid % 4], "import", stamp))
        cid = self.shipment_customer[sid]
        booking = f"NB{sid:09d}"
        if sid in self.linked_shipment:
            contact = self.primary_contact[cid]
            self.linked.append(
                LinkedUser(LINKED_USER_BASE + cid, cid, contact, bl or "", booking, numbers[0])
            )
        stamp = ts(created)
        shipments.append((
            sid, cid, bl, booking, "export" if export else "import", rng.choice(CARGO),
            self.v.money(_KG[size] * count * 100), vessel, f"{sid % 900 + 100:03d}{'EW'[export]}", imo,
            "Ningbo" if export else port.name, port.name if export else "Ningbo", ts(etd), ts(eta),
            ts(ata) if ata else None, flow[progress - 1].value, TERMINALS[sid % 4], False, False,
            passed < now - dt.timedelta(days=7), stamp, stamp,
        ))  # fmt: skip
        return box + count

    def _invoices(self) -> Iterator[Batch]:
        rng, v, today, n = self.rng, self.v, self.today, self.sizes["invoices"]
        shipments, first_day, now = self.sizes["shipments"], self.start.date(), v.ts(self.now)
        for first in range(1, n + 1, CHUNK):
            invoices, payments = [], []
            for iid in range(first, min(first + CHUNK, n + 1)):
                sid = 1 + (iid - 1) * shipments // n
                cid = self.shipment_customer[sid]
                shipped = first_day + dt.timedelta(days=SPAN_DAYS * sid // shipments)
                issued = min(today, shipped + dt.timedelta(days=rng.randrange(3, 20)))
                due = issued + dt.timedelta(days=60 if self.grade[cid] == Grade.A else 30)
                cents = rng.randrange(50_000, 5_000_000)
                currency = "USD" if iid % 10 == 0 else "CNY"
                overdue_days = (today - due).days
                chance = 0.15 if overdue_days <= 0 else 0.8 if overdue_days <= 60 else 0.985
                settled, paid, paid_on = rng.random() < chance, 0, None
                if settled:
                    late = rng.randrange(1, 40) if rng.random() < 0.3 else -rng.randrange(0, 10)
                    paid, paid_on = cents, min(today, max(issued, due + dt.timedelta(days=late)))
                elif overdue_days > 0 and rng.random() < 0.2:
                    paid, paid_on = cents * rng.randrange(30, 70) // 100, due
                if paid:
                    payments.append(
                        (iid, f"PAY{iid:010d}", cid, iid, v.day(paid_on), v.money(paid), currency, now)
                    )
                # the daily receivables run already announced what fell overdue before yesterday
                alerted = v.day(due + dt.timedelta(days=1)) if not settled and overdue_days > 1 else None
                legal = v.day(due + dt.timedelta(days=91)) if not settled and overdue_days > 91 else None
                invoices.append((
                    iid, f"INV{iid:010d}", cid, sid, v.day(issued), v.day(due), v.money(cents), currency,
                    v.money(paid), f"Port charges, shipment {sid}", settled, legal, alerted, now, now,
                ))  # fmt: skip
            yield "invoices", invoices
            yield "payments", payments

    def _visits(self) -> Iterator[Batch]:
        rng, v = self.rng, self.v
        marketers = [s.staff_id for s in self.staff if s.role == Role.MARKET]
        methods = [m.value for m in ContactMethod]
        visits: list[Any] = []
        for cid in range(1, self.sizes["customers"] + 1):
            if rng.random() < 0.15:
                continue  # never visited
            cadence = CADENCE[self.grade[cid]]
            day = self.today - dt.timedelta(days=rng.randrange(1, cadence * 13 // 10))
            staff = rng.choice(marketers)
            for _ in range(rng.randrange(1, 5)):
                moment = v.ts(dt.datetime.combine(day, dt.time(rng.randrange(1, 9))))
                visits.append((
                    None, cid, staff, self.primary_contact[cid], rng.choice(methods), moment,
                    "回访客户，了解近期出货计划", v.day(day + dt.timedelta(days=cadence)), moment,
                ))  # fmt: skip
                day -= dt.timedelta(days=round(cadence * (0.7 + 0.6 * rng.random())))
            if len(visits) >= CHUNK:
                yield "visits", visits
                visits = []
        yield "visits", visits


def port_today() -> dt.date:
    return dt.datetime.now(ZoneInfo(Settings().timezone)).date()


def _check_columns() -> None:
    """Every column named exists, and every NOT NULL column without a database default is given."""
    for name, columns in COLUMNS.items():
        table = Base.metadata.tables[name]
        missing = [c.name for c in table.c if not (c.nullable or c.primary_key or c.name in columns)]
        unknown = [c for c in columns if c not in table.c]
        if missing or unknown:
            raise RuntimeError(f"{name}: columns missing {missing}, unknown {unknown}")


def populate_sqlite(
    path: Path,
    *,
    customers: int = 100_000,
    shipments: int = 1_000_000,
    invoices: int = 1_000_000,
    linked_users: int = 0,
    seed: int = 1,
) -> World:
    """Fill a SQLite database already migrated to head, in one transaction."""
    _check_columns()
    sizes = {
        "customers": customers,
        "shipments": shipments,
        "invoices": invoices,
        "linked_users": linked_users,
    }
    plan = _Plan(sizes, seed, SQLITE)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # a throwaway file loads without a journal; the WAL the application expects comes back afterwards
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -400000")  # 400 MB: index pages stay in memory while loading
        connection.execute("BEGIN")
        for name, rows in plan.batches():
            columns = COLUMNS[name]
            sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            connection.executemany(sql, rows)
        connection.execute("COMMIT")
        connection.execute(f"PRAGMA journal_mode = {journal}")
    finally:
        connection.close()
    return plan.world()


async def populate_postgres(
    url: str,
    *,
    customers: int = 100_000,
    shipments: int = 1_000_000,
    invoices: int = 1_000_000,
    linked_users: int = 0,
    seed: int = 1,
) -> World:
    """Fill a PostgreSQL database already migrated to head with COPY, then reset sequences and ANALYZE."""
    import asyncpg

    _check_columns()
    sizes = {
        "customers": customers,
        "shipments": shipments,
        "invoices": invoices,
        "linked_users": linked_users,
    }
    plan = _Plan(sizes, seed, POSTGRES)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for name, records in plan.batches():
                columns = COLUMNS[name]
                if columns[0] == "id" and records and records[0][0] is None:
                    records = [row[1:] for row in records]  # let the sequence number them
                    columns = columns[1:]
                await connection.copy_records_to_table(name, records=records, columns=list(columns))
            for name in COLUMNS:
                if "id" in Base.metadata.tables[name].c:
                    await connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                    )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return plan.world()


def fill_postgres(url: str, **sizes: int) -> World:
    """populate_postgres for callers without an event loop (a subprocess, see bench.common.in_subprocess)."""
    return asyncio.run(populate_postgres(url, **sizes))


def _head_revision() -> str:
    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head() or ""


def _upgrade(url: str) -> None:
    """Alembic's env.py runs its own event loop: a thread keeps this callable from inside one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(migrate.upgrade, url).result()


def prepare_sqlite(
    path: Path,
    *,
    keep: Path | None = None,
    customers: int = 100_000,
    shipments: int = 1_000_000,
    invoices: int = 1_000_000,
    linked_users: int = 0,
    seed: int = 1,
) -> World:
    """A migrated, populated SQLite database at `path` (replaced if it exists).

    With `keep`, the data is generated there once and `path` gets a copy; a `keep` generated today with the
    same parameters and schema head is reused, which turns minutes of generation into seconds of copying.
    """
    sizes = {
        "customers": customers,
        "shipments": shipments,
        "invoices": invoices,
        "linked_users": linked_users,
    }
    key = {**sizes, "seed": seed, "version": VERSION, "head": _head_revision()}
    source = keep or path
    sidecar = source.with_name(source.name + ".json")
    saved = json.loads(sidecar.read_text()) if keep and keep.exists() and sidecar.exists() else {}
    world = World.from_json(saved["world"]) if saved.get("key") == key else None
    if world is None or world.today != port_today():
        _remove(source)
        _upgrade(sqlite_url(source))
        world = populate_sqlite(source, seed=seed, **sizes)
        if keep:
            sidecar.write_text(json.dumps({"key": key, "world": world.to_json()}))
    if source.resolve() != path.resolve():
        _remove(path)
        shutil.copyfile(source, path)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        # seen just now, as a user chatting every day is: their first message writes nothing
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        connection.execute("UPDATE chat_users SET last_seen_at = ?", (SQLITE.ts(now),))
    return world


def default_cache(sizes: dict[str, int]) -> Path:
    """Where the benches keep a generated database of these sizes, so each is generated once a day."""
    name = "portcrm-bench-{customers}-{shipments}-{invoices}-{linked_users}.db".format(**sizes)
    return Path(tempfile.gettempdir()) / name


def _remove(path: Path) -> None:
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--linked-users", type=int, default=0)
    parser.add_argument(
        "--keep", type=Path, help="a cache file: reused when generated with these parameters today"
    )
    parser.add_argument("--database-url", help="fill this (migrated) PostgreSQL database instead")
    args = parser.parse_args()
    sizes = {
        "customers": args.customers,
        "shipments": args.shipments,
        "invoices": args.invoices,
        "linked_users": args.linked_users,
    }
    started = time.perf_counter()
    if args.database_url:
        asyncio.run(migrate.upgrade_async(args.database_url))
        world = asyncio.run(populate_postgres(args.database_url, **sizes))
        where = args.database_url
    else:
        target = args.keep or Path("portcrm-bench.db")
        world = prepare_sqlite(target, keep=args.keep, **sizes)
        where = str(target)
    print(f"{where}: {world.customers} customers, {world.shipments} shipments, {world.invoices} invoices, "
          f"{len(world.linked)} linked users in {time.perf_counter() - started:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
