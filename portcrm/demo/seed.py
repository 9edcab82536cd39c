"""`seed_demo`: a realistic port in an empty database, dated relative to `today` so it always looks current.

Steps build ORM objects from one seeded random source in a fixed order (the same seed and date give the same
data); the session inserts them in five batches, each needing the ids the batch before it received.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.demo import care, cargo, complaints, ledger
from portcrm.demo.companies import build_companies
from portcrm.demo.context import SeedContext
from portcrm.demo.development import build_agreements, build_leads
from portcrm.demo.feed_cargo import build_feed_shipments, feed_subscriptions
from portcrm.demo.people import build_contacts, build_staff
from portcrm.errors import N_, Conflict
from portcrm.models import Customer

DEMO_ACTOR = Actor(label="demo seed", source="demo")


@dataclasses.dataclass(frozen=True, slots=True)
class DemoSummary:
    """Rows created per table."""

    staff: int
    customers: int
    contacts: int
    credit_limits: int
    shipments: int
    containers: int
    cargo_events: int
    invoices: int
    payments: int
    complaints: int
    complaint_events: int
    visits: int
    subscriptions: int
    leads: int
    agreements: int
    surveys: int
    survey_answers: int

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


async def seed_demo(session: AsyncSession, *, today: dt.date, tz: ZoneInfo, seed: int = 7) -> DemoSummary:
    """Fill an empty, migrated database with the demo port and commit. Raises Conflict if customers exist."""
    if await session.scalar(select(Customer.id).limit(1)) is not None:
        raise Conflict(N_("The database already has customers: the demo is seeded only into an empty one."))
    set_actor(session, DEMO_ACTOR)
    ctx = SeedContext(random.Random(seed), today, tz)
    add = _Inserter(session)

    ctx.staff = build_staff(ctx)
    await add(ctx.staff, [role for staff in ctx.staff for role in staff.roles])
    ctx.companies = build_companies(ctx)
    await add([c.customer for c in ctx.companies])

    contacts = build_contacts(ctx)
    credit_limits = ledger.build_credit_limits(ctx)
    ctx.shipments = cargo.build_shipments(ctx)
    leads, agreements = build_leads(ctx), build_agreements(ctx)
    fed = build_feed_shipments(ctx)  # what examples/feeds/ report on: outside the ledger's and desk's draws
    shipments = [s.shipment for s in ctx.shipments + fed]
    containers = [c for shipment in shipments for c in shipment.containers]
    await add(contacts, credit_limits, shipments, containers, leads, agreements)

    events = cargo.cargo_events(ctx.shipments + fed)
    invoices = ledger.build_invoices(ctx)
    planned_complaints = complaints.build_complaints(ctx)
    surveys = care.build_surveys(ctx)
    followed = feed_subscriptions(fed)
    await add(
        events,
        [i.invoice for i in invoices],
        [c.complaint for c in planned_complaints],
        [s.survey for s in surveys],
        followed,
    )

    payments = ledger.payments(invoices)
    complaint_events = complaints.complaint_events(planned_complaints)
    answers = care.survey_answers(surveys)
    visits = care.build_visits(ctx, planned_complaints)
    subscriptions = cargo.subscriptions(ctx)
    await add(payments, complaint_events, answers, visits, subscriptions)
    await session.commit()
    return DemoSummary(
        staff=len(ctx.staff),
        customers=len(ctx.companies),
        contacts=len(contacts),
        credit_limits=len(credit_limits),
        shipments=len(shipments),
        containers=len(containers),
        cargo_events=len(events),
        invoices=len(invoices),
        payments=len(payments),
        complaints=len(planned_complaints),
        complaint_events=len(complaint_events),
        visits=len(visits),
        subscriptions=len(subscriptions) + len(followed),
        leads=len(leads),
        agreements=len(agreements),
        surveys=len(surveys),
        survey_answers=len(answers),
    )


class _Inserter:
    """Adds and flushes batches (children included: no cascade) with primary keys given up front.

    With ids left to the database, SQLAlchemy inserts row by row on SQLite (an INSERT ... RETURNING per row,
    ~27,000 round trips through aiosqlite's thread); with ids set it sends one executemany per table. Only on
    SQLite: PostgreSQL batches RETURNING itself, and explicit ids would leave its sequences behind.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.assign_ids = session.get_bind().dialect.name == "sqlite"
        self.next_ids: dict[type[Any], int] = {}

    async def __call__(self, *batches: Sequence[Any]) -> None:
        objects = [obj for batch in batches for obj in batch]
        if self.assign_ids:
            await self._assign_ids(objects)
        self.session.add_all(objects)
        await self.session.flush()

    async def _assign_ids(self, objects: list[Any]) -> None:
        for model in sorted({type(obj) for obj in objects} - self.next_ids.keys(), key=lambda m: m.__name__):
            self.next_ids[model] = (await self.session.scalar(select(func.max(model.id))) or 0) + 1
        for obj in objects:
            if obj.id is None:
                obj.id = self.next_ids[type(obj)]
                self.next_ids[type(obj)] += 1
