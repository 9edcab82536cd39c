"""The demo seed, seeded once into a migrated SQLite copy and read back: counts, identifiers, consistency."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.demo import DEMO_PERSONAS, DemoSummary, seed_demo
from portcrm.enums import (
    CargoEventType,
    ComplaintStatus,
    CustomerType,
    Grade,
    Role,
    ServqualDimension,
    ShipmentDirection,
)
from portcrm.i18n import gettext_for
from portcrm.identifiers import normalise_container, normalise_imo, normalise_phone, normalise_uscc
from portcrm.models import (
    Agreement,
    AuditEntry,
    CargoEvent,
    Complaint,
    ComplaintEvent,
    Contact,
    Container,
    CreditLimit,
    Customer,
    Invoice,
    Lead,
    Payment,
    Shipment,
    ShipmentSubscription,
    Staff,
    Survey,
    SurveyAnswer,
    Visit,
)
from portcrm.services.complaints.intake import ROUTING
from portcrm.storage.db import Database
from tests.conftest import sqlite_url

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

TODAY = dt.date(2026, 11, 20)
TZ = ZoneInfo("Asia/Shanghai")
CUT = dt.datetime.combine(TODAY, dt.time(), TZ)  # the start of "today": everything seeded happened before it
E = CargoEventType
FLOWS = {
    ShipmentDirection.EXPORT: [E.BOOKING_CONFIRMED, E.EMPTY_PICKUP, E.GATE_IN, E.LOADED, E.VESSEL_DEPARTED],
    ShipmentDirection.IMPORT: [
        E.VESSEL_ARRIVED, E.DISCHARGED, E.CUSTOMS_HOLD, E.CUSTOMS_RELEASED, E.PAYMENT_HOLD,
        E.PAYMENT_RELEASED, E.AVAILABLE_FOR_PICKUP, E.GATE_OUT, E.DELIVERED,
    ],
}  # fmt: skip
PERSONA_ROLES = {
    "marketer": Role.MARKET,
    "operations": Role.OPERATIONS,
    "finance": Role.FINANCE,
    "manager": Role.MANAGER,
    "admin": Role.ADMIN,
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seeded(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: Path
) -> AsyncIterator[tuple[Database, DemoSummary]]:
    """One seed for the whole module (it takes a second or two); the tests only read."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(migrated_template, path)
    database = Database(sqlite_url(path))
    async with database.session() as session:
        summary = await seed_demo(session, today=TODAY, tz=TZ)
    yield database, summary
    await database.dispose()


@pytest_asyncio.fixture(loop_scope="module")
async def db_session(seeded: tuple[Database, DemoSummary]) -> AsyncIterator[AsyncSession]:
    async with seeded[0].session() as session:
        yield session


async def _all(session: AsyncSession, model: type) -> list:
    return list(await session.scalars(select(model)))


class TestCounts:
    async def test_every_table_holds_the_rows_the_summary_reports(
        self, db_session: AsyncSession, seeded: tuple[Database, DemoSummary]
    ) -> None:
        models = {
            "staff": Staff, "customers": Customer, "contacts": Contact, "credit_limits": CreditLimit,
            "shipments": Shipment, "containers": Container, "cargo_events": CargoEvent, "invoices": Invoice,
            "payments": Payment, "complaints": Complaint, "complaint_events": ComplaintEvent, "visits": Visit,
            "subscriptions": ShipmentSubscription, "leads": Lead, "agreements": Agreement, "surveys": Survey,
            "survey_answers": SurveyAnswer,
        }  # fmt: skip
        counts = {
            name: await db_session.scalar(select(func.count()).select_from(m)) for name, m in models.items()
        }
        assert counts == seeded[1].as_dict()

    async def test_counts_are_in_the_stated_ranges(self, seeded: tuple[Database, DemoSummary]) -> None:
        summary = seeded[1]
        assert 10 <= summary.staff <= 14
        assert 180 <= summary.customers <= 220
        assert 550 <= summary.shipments <= 650
        assert 1400 <= summary.invoices <= 1600
        assert 35 <= summary.complaints <= 45
        assert 200 <= summary.visits <= 1000
        assert 25 <= summary.leads <= 35

    async def test_each_customer_has_one_to_three_contacts_and_most_a_credit_limit(
        self, db_session: AsyncSession
    ) -> None:
        per_customer = Counter(c.customer_id for c in await _all(db_session, Contact))
        customers = await _all(db_session, Customer)
        assert all(1 <= per_customer[c.id] <= 3 for c in customers)
        limited = {limit.customer_id for limit in await _all(db_session, CreditLimit)}
        assert len(limited) >= 0.8 * len(customers)

    async def test_types_and_grades_are_spread_like_a_real_port(self, db_session: AsyncSession) -> None:
        customers = await _all(db_session, Customer)
        types = Counter(c.type for c in customers)
        assert types.most_common(1)[0][0] == CustomerType.FORWARDER
        assert types[CustomerType.CARGO_OWNER] > types[CustomerType.SHIPPING_LINE] > 0
        assert types[CustomerType.SERVICE_PROVIDER] > 0
        grades = Counter(c.grade for c in customers)
        assert grades[Grade.A] < grades[Grade.B] < grades[Grade.C]
        assert 0.10 <= grades[Grade.A] / len(customers) <= 0.20


class TestIdentifiers:
    async def test_credit_codes_phones_and_containers_pass_the_validators(
        self, db_session: AsyncSession
    ) -> None:
        codes = [c.uscc for c in await _all(db_session, Customer) if c.uscc]
        assert len(codes) >= 180
        assert [normalise_uscc(code) for code in codes] == codes
        phones = [c.phone for c in await _all(db_session, Contact)] + [
            s.phone for s in await _all(db_session, Staff)
        ]
        assert all(phone and normalise_phone(phone) == phone for phone in phones)
        assert sum(phone.startswith("+861") for phone in phones) >= 0.9 * len(phones)
        numbers = [c.number for c in await _all(db_session, Container)]
        assert [normalise_container(n) for n in numbers] == numbers

    async def test_imo_numbers_have_seven_digits_and_mostly_a_valid_check_digit(
        self, db_session: AsyncSession
    ) -> None:
        checks = [normalise_imo(s.vessel_imo or "") for s in await _all(db_session, Shipment)]
        assert sum(valid for _, valid in checks) >= 0.8 * len(checks)


class TestShipments:
    async def test_status_location_and_holds_come_from_the_latest_event(
        self, db_session: AsyncSession
    ) -> None:
        events = defaultdict(list)
        for event in await db_session.scalars(
            select(CargoEvent).order_by(CargoEvent.occurred_at, CargoEvent.id)
        ):
            events[event.shipment_id].append(event)
        for shipment in await _all(db_session, Shipment):
            history = events[shipment.id]
            last = history[-1]
            assert (shipment.status, shipment.location) == (last.event_type, last.location)
            assert shipment.customs_hold == (last.event_type == E.CUSTOMS_HOLD)
            assert shipment.payment_hold == (last.event_type == E.PAYMENT_HOLD)
            assert shipment.completed == (last.event_type == FLOWS[shipment.direction][-1])
            ranks = [FLOWS[shipment.direction].index(e.event_type) for e in history]
            assert ranks == sorted(ranks), shipment.bl_number
            assert last.occurred_at < CUT

    async def test_reefer_cargo_travels_in_reefer_containers(self, db_session: AsyncSession) -> None:
        shipments = await _all(db_session, Shipment)
        reefer = [s for s in shipments if "REEFER" in s.cargo_description]
        assert reefer
        assert all(c.size_type == "45R1" for s in reefer for c in s.containers)

    async def test_some_shipments_are_under_way_and_some_on_hold(self, db_session: AsyncSession) -> None:
        shipments = await _all(db_session, Shipment)
        active = [s for s in shipments if not s.completed]
        assert 0.05 * len(shipments) <= len(active) <= 0.3 * len(shipments)
        assert any(s.customs_hold for s in active)
        assert any(s.payment_hold for s in active)


class TestLedger:
    async def test_paid_amount_is_the_sum_of_payments_and_settled_follows(
        self, db_session: AsyncSession
    ) -> None:
        paid: defaultdict[int, Decimal] = defaultdict(Decimal)
        for payment in await _all(db_session, Payment):
            paid[payment.invoice_id or 0] += payment.amount
            assert payment.paid_on < TODAY
        invoices = await _all(db_session, Invoice)
        for invoice in invoices:
            assert invoice.paid_amount == paid[invoice.id]
            assert invoice.settled == (invoice.paid_amount == invoice.amount)
        assert {i.currency for i in invoices} == {"CNY", "USD"}
        assert sum(i.settled for i in invoices) > 0.7 * len(invoices)
        assert any(0 < i.paid_amount < i.amount for i in invoices)

    async def test_overdue_invoices_fill_every_ageing_bucket(self, db_session: AsyncSession) -> None:
        invoices = await _all(db_session, Invoice)
        overdue = [i for i in invoices if not i.settled and i.due_on < TODAY]
        assert 0.05 * len(invoices) <= len(overdue) <= 0.15 * len(invoices)
        ages = [(TODAY - i.due_on).days for i in overdue]
        for lo, hi in ((1, 30), (31, 60), (61, 90), (91, 10_000)):
            assert sum(lo <= age <= hi for age in ages) >= 5
        legal = [i for i in overdue if i.legal_action_since]
        assert legal
        assert all((TODAY - i.due_on).days > 90 and i.legal_action_since < TODAY for i in legal)


class TestComplaints:
    async def test_every_status_has_complaints_with_ordered_histories(self, db_session: AsyncSession) -> None:
        complaints = await _all(db_session, Complaint)
        assert {c.status for c in complaints} == set(ComplaintStatus)
        events = defaultdict(list)
        for event in await db_session.scalars(select(ComplaintEvent).order_by(ComplaintEvent.id)):
            events[event.complaint_id].append(event)
        for complaint in complaints:
            history = events[complaint.id]
            assert [e.at for e in history] == sorted(e.at for e in history)
            assert history[-1].at < CUT
            assert history[0].kind == "created"
            assert history[0].at == complaint.created_at
            changes = [e for e in history if e.to_status is not None]
            assert changes[-1].to_status == complaint.status
            assert all(a.to_status == b.from_status for a, b in itertools.pairwise(changes))
            assert complaint.department == ROUTING[complaint.category]
            assert re.fullmatch(rf"CP-{complaint.created_at.astimezone(TZ).year}-\d{{6}}", complaint.ticket)

    async def test_closed_complaints_carry_cause_action_and_satisfaction(
        self, db_session: AsyncSession
    ) -> None:
        complaints = await _all(db_session, Complaint)
        closed = [c for c in complaints if c.status == ComplaintStatus.CLOSED]
        assert all(c.root_cause and c.corrective_action and 1 <= (c.satisfaction or 0) <= 5 for c in closed)
        assert any(c.shipment_snapshot and c.shipment_snapshot["bl_number"] for c in complaints)


class TestPersonas:
    async def test_customer_personas_are_linked_contacts(self, db_session: AsyncSession) -> None:
        ids = {p.key: p.telegram_user_id for p in DEMO_PERSONAS}
        contact = await db_session.scalar(select(Contact).where(Contact.telegram_user_id == ids["customer"]))
        assert contact is not None
        assert contact.is_primary
        company = await db_session.get(Customer, contact.customer_id)
        assert company is not None
        assert (company.type, company.grade) == (CustomerType.FORWARDER, Grade.A)
        tw = await db_session.scalar(select(Contact).where(Contact.telegram_user_id == ids["customer_tw"]))
        assert tw is not None
        assert tw.locale == "zh_TW"

    async def test_the_customer_persona_has_open_and_closed_complaints_and_active_cargo(
        self, db_session: AsyncSession
    ) -> None:
        persona = next(p for p in DEMO_PERSONAS if p.key == "customer")
        contact = await db_session.scalar(
            select(Contact).where(Contact.telegram_user_id == persona.telegram_user_id)
        )
        assert contact is not None
        statuses = set(
            await db_session.scalars(
                select(Complaint.status).where(Complaint.customer_id == contact.customer_id)
            )
        )
        assert ComplaintStatus.CLOSED in statuses
        assert statuses - {
            ComplaintStatus.CLOSED,
            ComplaintStatus.RESOLVED,
        }
        shipments = list(
            await db_session.scalars(select(Shipment).where(Shipment.customer_id == contact.customer_id))
        )
        assert len(shipments) >= 8
        assert len({s.status for s in shipments if not s.completed}) >= 3

    async def test_staff_personas_exist_with_their_roles(self, db_session: AsyncSession) -> None:
        for persona in DEMO_PERSONAS:
            if persona.key in PERSONA_ROLES:
                staff = await db_session.scalar(
                    select(Staff).where(Staff.telegram_user_id == persona.telegram_user_id)
                )
                assert staff is not None
                assert staff.name == persona.first_name
                assert PERSONA_ROLES[persona.key] in staff.role_set
        assert len({p.telegram_user_id for p in DEMO_PERSONAS}) == len(DEMO_PERSONAS)


class TestRelationshipCare:
    async def test_latest_revisits_are_overdue_due_today_and_upcoming(self, db_session: AsyncSession) -> None:
        latest: dict[int, Visit] = {}
        for visit in await db_session.scalars(select(Visit).order_by(Visit.occurred_at)):
            latest[visit.customer_id] = visit
        due = [v.next_revisit_on for v in latest.values() if v.next_revisit_on]
        assert any(d < TODAY for d in due)
        assert TODAY in due
        assert any(d > TODAY for d in due)
        visits = await _all(db_session, Visit)
        assert len({v.method for v in visits}) == 5
        assert all(v.occurred_at < CUT for v in visits)

    async def test_some_contacts_have_birthdays_in_the_next_two_weeks(self, db_session: AsyncSession) -> None:
        soon = {(TODAY + dt.timedelta(days=n)).strftime("%m-%d") for n in range(15)}
        birthdays = [c.birthday for c in await _all(db_session, Contact) if c.birthday]
        assert sum(b.strftime("%m-%d") in soon for b in birthdays) >= 3

    async def test_a_and_b_customers_have_one_agreement_each(self, db_session: AsyncSession) -> None:
        key = {c.id for c in await _all(db_session, Customer) if c.grade in (Grade.A, Grade.B)}
        agreements = Counter(a.customer_id for a in await _all(db_session, Agreement))
        assert set(agreements) == key
        assert set(agreements.values()) == {1}

    async def test_completed_surveys_answer_all_five_dimensions(self, db_session: AsyncSession) -> None:
        answers = defaultdict(list)
        for answer in await _all(db_session, SurveyAnswer):
            answers[answer.survey_id].append(answer)
        surveys = await _all(db_session, Survey)
        assert len({s.period for s in surveys}) == 4
        for survey in surveys:
            given = answers[survey.id]
            assert (survey.completed_at is not None) == bool(given)
            assert not given or {a.dimension for a in given} == set(ServqualDimension)
        flat = [a for given in answers.values() for a in given]
        assert sum((a.expectation or 0) >= (a.perception or 0) for a in flat) >= 0.8 * len(flat)

    async def test_leads_are_in_every_stage_and_won_ones_converted(self, db_session: AsyncSession) -> None:
        leads = await _all(db_session, Lead)
        assert len({lead.status for lead in leads}) == 5
        assert len({lead.source for lead in leads}) == 6
        assert any(lead.converted_customer_id for lead in leads)


async def test_changes_are_audited_as_the_demo_seed(db_session: AsyncSession) -> None:
    actors = set(await db_session.execute(select(AuditEntry.actor, AuditEntry.source).distinct()))
    assert actors == {("demo seed", "demo")}


class TestFirstDay:
    """The port as its scheduled jobs left it yesterday: their first run in the demo finds today's work."""

    async def test_the_customers_waiting_box_has_its_last_free_day_tomorrow(
        self, db_session: AsyncSession
    ) -> None:
        customer = next(p for p in DEMO_PERSONAS if p.key == "customer")
        contact = await db_session.scalar(
            select(Contact).where(Contact.telegram_user_id == customer.telegram_user_id)
        )
        assert contact is not None
        waiting = await db_session.scalar(
            select(Shipment).where(
                Shipment.customer_id == contact.customer_id, Shipment.status == E.AVAILABLE_FOR_PICKUP
            )
        )
        assert waiting is not None
        discharged = await db_session.scalar(
            select(func.min(CargoEvent.occurred_at)).where(
                CargoEvent.shipment_id == waiting.id, CargoEvent.event_type == E.DISCHARGED
            )
        )
        assert discharged is not None
        assert discharged.astimezone(TZ).date() == TODAY - dt.timedelta(days=5)  # day 1 of 7 free days
        boxes = await db_session.scalars(
            select(Container.size_type).where(Container.shipment_id == waiting.id)
        )
        assert all("R" not in size_type for size_type in boxes)  # dry boxes: 7 free days, not a reefer's 4
        followed = set(
            await db_session.scalars(
                select(ShipmentSubscription.shipment_id).where(ShipmentSubscription.contact_id == contact.id)
            )
        )
        active = set(
            await db_session.scalars(
                select(Shipment.id).where(
                    Shipment.customer_id == contact.customer_id, Shipment.completed.is_(False)
                )
            )
        )
        assert waiting.id in followed == active

    async def test_the_customer_personas_have_last_quarters_survey_still_to_come(
        self, db_session: AsyncSession
    ) -> None:
        last_quarter = "2026-Q3"
        ids = [p.telegram_user_id for p in DEMO_PERSONAS if p.key.startswith("customer")]
        personas = list(await db_session.scalars(select(Contact.id).where(Contact.telegram_user_id.in_(ids))))
        periods = await db_session.scalars(select(Survey.period).where(Survey.contact_id.in_(personas)))
        assert last_quarter not in set(periods)
        assert await db_session.scalar(select(func.count()).where(Survey.period == last_quarter)) > 10

    async def test_overdue_invoices_were_announced_and_long_arrears_flagged_before_today(
        self, db_session: AsyncSession
    ) -> None:
        overdue = [i for i in await _all(db_session, Invoice) if not i.settled and i.due_on < TODAY]
        yesterday = TODAY - dt.timedelta(days=1)
        assert all(
            i.overdue_alerted_on == i.due_on + dt.timedelta(days=1) for i in overdue if i.due_on < yesterday
        )
        fell_due = [i for i in overdue if i.due_on == yesterday]
        assert fell_due
        assert all(i.overdue_alerted_on is None for i in fell_due)  # the receivables job's news this morning
        assert all(bool(i.legal_action_since) == ((TODAY - i.due_on).days > 91) for i in overdue)

    async def test_grade_reasons_are_messages_each_reader_gets_in_their_language(
        self, db_session: AsyncSession
    ) -> None:
        t = gettext_for("zh_CN")
        for customer in await _all(db_session, Customer):
            for reason in customer.grade_reasons:
                shown = t(reason["msgid"]).format(**reason["params"])
                assert not re.search(r"[A-Za-z]{4,}", shown), shown  # "TEU" and ratings stay as they are
