"""Two rival companies whose every visible field carries a marker, their contacts on Telegram, and staff.

A marker is a string that no catalog text, no other record and no fuzz input produces by chance, so finding
one company's marker in a reply to the other company's contact proves a leak. Identifiers a user may type
(B/L, booking, container numbers, complaint tickets) are "typed" markers: echoing what the user typed is
fine, showing one the user never typed is not. Everything else is "secret".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iso6346

from portcrm.enums import (
    CargoEventType,
    ComplaintCategory,
    ComplaintStatus,
    ContactMethod,
    CustomerType,
    EvaluationStatus,
    Grade,
    Role,
    SurveyKind,
)
from portcrm.models import (
    CargoEvent,
    Complaint,
    Container,
    GradeEvaluation,
    Inquiry,
    Survey,
    Visit,
)
from tests.factories import make_contact, make_customer, make_invoice, make_shipment, make_staff

# language_code a Telegram app sends -> the locale the bot must answer in (harness default: zh_CN)
LANGUAGES: dict[str | None, str] = {"en": "en", "zh-hans": "zh_CN", "zh-hant": "zh_TW", "fr": "zh_CN"}
STAFF_ROLES = (Role.MARKET, Role.OPERATIONS, Role.FINANCE, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """A Telegram user of the fuzz world: `company` is "A"/"B" for customers' contacts, else None."""

    key: str
    user_id: int
    language_code: str | None
    company: str | None = None
    role: Role | None = None

    @property
    def locale(self) -> str:
        return LANGUAGES[self.language_code]


@dataclass
class Company:
    """One company's records: ids for forged buttons, markers for the leak check."""

    tag: str
    customer_id: int = 0
    ids: dict[str, list[int]] = field(default_factory=dict)
    typed: dict[str, list[str]] = field(default_factory=dict)  # kind -> identifiers a user may type
    secret: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # national digits, matched against a reply's digits

    def typed_markers(self) -> list[str]:
        return [value for values in self.typed.values() for value in values]


@dataclass
class World:
    companies: dict[str, Company]
    actors: dict[str, Actor]
    staff_ids: list[int]

    def other(self, tag: str) -> Company:
        return self.companies["B" if tag == "A" else "A"]


_NAMES = {
    "A": ("Zorbulax", "ZRB", "ZRBU", "71234.56", "137"),
    "B": ("Vexmoria", "VXM", "VXMU", "82345.67", "139"),
}
_AT = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)


def _container(owner: str, serial: int) -> str:
    body = f"{owner}{serial:06d}"
    return body + iso6346.calc_check_digit(body)


def _amount_marker(amount: str) -> str:
    whole, cents = amount.split(".")
    return f"{int(whole):,}.{cents}"


async def _company(
    session: AsyncSession, tag: str, base_user: int, manager_id: int
) -> tuple[Company, list[Actor]]:
    word, short, owner, amount, prefix = _NAMES[tag]
    company = Company(tag)
    customer = await make_customer(
        session,
        code=f"{short}CO{tag}",
        name=f"{word} Freight Holdings",
        name_en=f"{word} Freight Intl",
        type=CustomerType.FORWARDER,
        grade=Grade.A,
        address=f"{word} Tower, Beilun",
        account_manager_id=manager_id,
    )
    company.customer_id = customer.id
    company.secret += [word, f"{word} Freight", f"{word} Tower", f"{short}CO{tag}"]
    actors, contact_ids = [], []
    for n, language in enumerate([*LANGUAGES, None]):
        phone = f"+86{prefix}{(1000 + n):04d}{(tag == 'A' and 7777) or 8888}"
        linked = language is not None
        contact = await make_contact(
            session,
            customer,
            name=f"{word}son Contact{n}",
            phone=phone,
            email=f"c{n}@{word.lower()}.example",
            telegram_user_id=base_user + n if linked else None,
            is_primary=n == 0,
            is_billing=n == 0,
        )
        contact_ids.append(contact.id)
        company.phones.append(phone.removeprefix("+86"))
        if linked:
            actors.append(Actor(f"{tag}.{language}", base_user + n, language, company=tag))
    company.secret += [f"{word}son Contact", f"{word.lower()}.example"]
    shipments, containers, bls, bookings = [], [], [], []
    for n in range(2):
        bl, booking = f"{short}BL{tag}{n:05d}", f"{short}BK{tag}{n:05d}"
        boxes = [_container(owner, 100 * n + k + 11) for k in range(2)]
        shipment = await make_shipment(
            session,
            customer,
            bl_number=bl,
            booking_ref=booking,
            cargo_description=f"{word} turbine parts lot {n}",
            vessel_name=f"{word.upper()} STAR",
            voyage=f"{short}{n}E",
            port_of_loading="Ningbo",
            port_of_discharge="Hamburg",
            eta=_AT + dt.timedelta(days=9),
            status=CargoEventType.GATE_IN,
            containers=[
                Container(number=box, size_type="40HC", seal_number=f"{short}SEAL{n}") for box in boxes
            ],
        )
        session.add(
            CargoEvent(
                shipment_id=shipment.id,
                container_number=boxes[0],
                event_type=CargoEventType.GATE_IN,
                occurred_at=_AT,
                location=f"{word} Yard",
                note=f"{word} gate note",
            )
        )
        shipments.append(shipment.id)
        containers += boxes
        bls.append(bl)
        bookings.append(booking)
    company.secret += [
        f"{word} turbine",
        f"{word.upper()} STAR",
        f"{word} Yard",
        f"{word} gate note",
        f"{short}SEAL",
    ]
    complaints, tickets = [], []
    for n, status in enumerate(
        (ComplaintStatus.SUBMITTED, ComplaintStatus.RESOLUTION_PROPOSED, ComplaintStatus.RESOLVED)
    ):
        ticket = f"CP-2026-9{1 + (tag == 'B')}000{n}"  # the service numbers on from the highest
        complaint = Complaint(
            ticket=ticket,
            customer_id=customer.id,
            contact_id=contact_ids[n],
            category=ComplaintCategory.DELAY,
            department=Role.OPERATIONS,
            shipment_id=shipments[0],
            description=f"{word} complaint about crushed flanges {n}",
            status=status,
            resolution=f"{word} resolution credit note" if n else None,
            created_at=_AT,
            updated_at=_AT,
        )
        session.add(complaint)
        await session.flush()
        complaints.append(complaint.id)
        tickets.append(ticket)
    company.secret += [f"{word} complaint", f"{word} resolution"]
    invoices = []
    for n in range(2):
        invoice = await make_invoice(
            session,
            customer,
            number=f"{short}-INV-{tag}{n}",
            amount=Decimal(amount) + n,
            issued_on=dt.date(2026, 8, 1),
            due_on=dt.date(2026, 9, 1),
            description=f"{word} terminal handling",
        )
        invoices.append(invoice.id)
    company.secret += [f"{short}-INV-", f"{word} terminal", _amount_marker(amount)]
    inquiry = Inquiry(
        customer_id=customer.id, contact_id=contact_ids[0], text=f"{word} inquiry about reefers"
    )
    survey = Survey(
        customer_id=customer.id, contact_id=contact_ids[0], kind=SurveyKind.PERIODIC, period="2026-Q4"
    )
    visit = Visit(
        customer_id=customer.id,
        staff_id=manager_id,
        contact_id=contact_ids[0],
        method=ContactMethod.ON_SITE,
        occurred_at=_AT,
        notes=f"{word} visit notes",
        next_revisit_on=dt.date(2026, 11, 20),
    )
    evaluation = GradeEvaluation(
        customer_id=customer.id,
        period="2026-Q3",
        previous_grade=Grade.A,
        proposed_grade=Grade.B,
        score=Decimal("61.5"),
        status=EvaluationStatus.PROPOSED,
    )
    session.add_all([inquiry, survey, visit, evaluation])
    await session.flush()
    company.secret += [f"{word} inquiry", f"{word} visit"]
    company.ids = {
        "customer": [customer.id],
        "contact": contact_ids,
        "shipment": shipments,
        "complaint": complaints,
        "invoice": invoices,
        "inquiry": [inquiry.id],
        "survey": [survey.id],
        "visit": [visit.id],
        "evaluation": [evaluation.id],
    }
    company.typed = {"bl": bls, "booking": bookings, "container": containers, "ticket": tickets}
    return company, actors


async def seed_world(session: AsyncSession) -> World:
    actors: dict[str, Actor] = {}
    staff_ids = []
    languages = list(LANGUAGES)
    for n, role in enumerate(STAFF_ROLES):
        language = languages[n % len(languages)]
        staff = await make_staff(session, telegram_user_id=7100 + n, roles=(role,), name=f"Fuzz {role.value}")
        staff_ids.append(staff.id)
        actors[f"staff.{role.value}"] = Actor(f"staff.{role.value}", 7100 + n, language, role=role)
    companies = {}
    for n, tag in enumerate("AB"):
        company, linked = await _company(session, tag, 7200 + 100 * n, staff_ids[0])
        companies[tag] = company
        actors.update({actor.key: actor for actor in linked})
    for n, language in enumerate(LANGUAGES):
        actors[f"anon.{language}"] = Actor(f"anon.{language}", 7400 + n, language)
    await session.commit()
    return World(companies, actors, staff_ids)
