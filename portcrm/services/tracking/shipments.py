"""Cargo status for customers: find a shipment by B/L, booking or container number, list the active ones.

Every lookup is scoped to the asking contact's company, and a shipment of another company is reported
exactly like one that does not exist: a customer learns nothing about numbers that are not theirs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from portcrm.enums import CargoEventType
from portcrm.errors import N_, InvalidInput, NotFound
from portcrm.identifiers import looks_like_container, normalise_container, normalise_reference
from portcrm.models import Container, Shipment, ShipmentSubscription
from portcrm.services.identity.users import Identity
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.status_cards import CardOf, StatusCard, find_status_card
from portcrm.storage.transaction import transaction, transactional

PAGE_SIZE = 8
_MAX_ID = 2**63 - 1  # button payloads are user input: an id beyond BIGINT is simply not found
# a pasted message is taken for a B/L or booking number only when it reads like one: one token with digits
_REFERENCE_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9\-/]{5,31}")
_MIN_DIGITS = 4
_ECHO_LENGTH = 40  # bad input is quoted back, but never a whole long message
# a customer's lookup ends in a status card, which reads the containers itself: not loading them with the
# shipment as well saves one query per /track
_CARD_READS_CONTAINERS = raiseload(Shipment.containers)


class ShipmentNotFound(NotFound):
    """The one answer for "no such shipment" and "not your company's": they must be indistinguishable."""

    message = N_("No shipment of your company matches that. Check the number and try again.")


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    shipment_id: int
    reference: str
    vessel_name: str | None
    voyage: str | None
    status: CargoEventType | None
    eta: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ShipmentPage:
    lines: tuple[ShipmentLine, ...]
    page: int  # from 0
    pages: int
    total: int


def reference_of(shipment: Shipment) -> str:
    """How a shipment is named to people: its B/L number, or its booking before the B/L exists."""
    return shipment.bl_number or shipment.booking_ref or ""


def looks_like_identifier(text: str) -> bool:
    """Whether a message on its own reads as a container, B/L or booking number rather than chat."""
    value = text.strip().upper()
    if looks_like_container(value):
        return True
    return bool(_REFERENCE_TOKEN.fullmatch(value)) and sum(c.isdigit() for c in value) >= _MIN_DIGITS


async def track(
    session: AsyncSession,
    identity: Identity,
    text: str,
    *,
    today: dt.date,
    free_time: FreeTimeRules | None = None,
) -> StatusCard:
    """The status card of the company's shipment with this B/L, booking or container number.

    A refusal is raised after the lookup's transaction has ended, as every refusal here: a rollback would
    expire whatever the caller holds loaded in the session. Given `free_time`, every card here also counts
    its boxes' free time and charges.
    """
    customer_id = identity.customer_id
    if customer_id is None:
        raise ShipmentNotFound()
    container = reference = None
    if looks_like_container(text):
        try:
            container = normalise_container(text)
        except InvalidInput:
            container = None
    try:
        reference = normalise_reference(text)
    except InvalidInput:
        reference = None
    async with transaction(session):
        card = None
        if container is not None:
            card = await _card(session, identity, CardOf(container=container), today, free_time)
        if card is None and reference is not None:
            card = await _card(session, identity, CardOf(reference=reference), today, free_time)
        if card is not None:
            return card
    if container is None and looks_like_container(text):
        normalise_container(text)  # raises the check-digit error: the clearest word on a mistyped number
    if reference is None:
        shown = text if len(text) <= _ECHO_LENGTH else text[: _ECHO_LENGTH - 1] + "…"
        raise InvalidInput(N_("That is not a B/L, booking or container number: {value}"), value=shown)
    raise ShipmentNotFound()


async def status_card(
    session: AsyncSession,
    identity: Identity,
    shipment_id: int,
    *,
    today: dt.date,
    free_time: FreeTimeRules | None = None,
) -> StatusCard:
    """The card of one shipment named by id (a button): only if it is the asking company's."""
    async with transaction(session):
        card = await _card(session, identity, CardOf(shipment_id=shipment_id), today, free_time)
    if card is None:
        raise ShipmentNotFound()
    return card


@transactional
async def active_shipments(session: AsyncSession, identity: Identity, page: int = 0) -> ShipmentPage:
    """One page of the company's shipments not yet completed, soonest ETA first (unknown ETAs last)."""
    scope = {"customer_id": identity.customer_id}
    total = await session.scalar(_ACTIVE_COUNT, scope) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = await session.execute(_ACTIVE_PAGE, {**scope, "offset": page * PAGE_SIZE})
    lines = tuple(
        ShipmentLine(r.id, r.bl_number or r.booking_ref or "", r.vessel_name, r.voyage, r.status, r.eta)
        for r in rows
    )
    return ShipmentPage(lines=lines, page=page, pages=pages, total=total)


_shipments = Shipment.__table__.c
_ACTIVE = (_shipments.customer_id == bindparam("customer_id"), _shipments.completed.is_(False))
_ACTIVE_COUNT = select(func.count()).select_from(Shipment.__table__).where(*_ACTIVE)
_ACTIVE_PAGE = (
    select(
        _shipments.id,
        _shipments.bl_number,
        _shipments.booking_ref,
        _shipments.vessel_name,
        _shipments.voyage,
        _shipments.status,
        _shipments.eta,
    )
    .where(*_ACTIVE)
    .order_by(_shipments.eta.is_(None), _shipments.eta, _shipments.id)
    .offset(bindparam("offset"))
    .limit(PAGE_SIZE)
)
_OWN = select(_shipments.id).where(
    _shipments.id == bindparam("shipment_id"), _shipments.customer_id == bindparam("customer_id")
)


async def set_subscription(
    session: AsyncSession,
    identity: Identity,
    shipment_id: int,
    subscribed: bool,
    *,
    today: dt.date,
    free_time: FreeTimeRules | None = None,
) -> StatusCard:
    """Start or stop pushing this shipment's new events to the contact; pressing twice changes nothing."""
    async with transaction(session):
        if await _own(session, identity, shipment_id):
            assert identity.contact_id is not None  # a shipment of the contact's company was found
            mine = (
                ShipmentSubscription.contact_id == identity.contact_id,
                ShipmentSubscription.shipment_id == shipment_id,
            )
            existing = await session.scalar(select(ShipmentSubscription.id).where(*mine))
            if subscribed and existing is None:
                session.add(ShipmentSubscription(contact_id=identity.contact_id, shipment_id=shipment_id))
                await session.flush()
            elif not subscribed and existing is not None:
                await session.execute(delete(ShipmentSubscription).where(*mine))
            card = await _card(session, identity, CardOf(shipment_id=shipment_id), today, free_time)
            if card is not None:
                return card
    raise ShipmentNotFound()


async def _own(session: AsyncSession, identity: Identity, shipment_id: int) -> bool:
    """Whether the shipment is the asking company's: the caller refuses after its transaction (`track`)."""
    if identity.customer_id is None or not 0 < shipment_id <= _MAX_ID:
        return False
    found = await session.scalar(_OWN, {"shipment_id": shipment_id, "customer_id": identity.customer_id})
    return found is not None


async def _card(
    session: AsyncSession, identity: Identity, which: CardOf, today: dt.date, free_time: FreeTimeRules | None
) -> StatusCard | None:
    out_of_range = which.shipment_id is not None and not 0 < which.shipment_id <= _MAX_ID  # a forged button
    if identity.customer_id is None or out_of_range:
        return None
    return await find_status_card(
        session,
        which,
        customer_id=identity.customer_id,
        contact_id=identity.contact_id,
        today=today,
        free_time=free_time,
    )


async def shipment_for_container(
    session: AsyncSession, number: str, *, customer_id: int | None
) -> Shipment | None:
    """The shipment a container number names: numbers recur over the years, so the most recent active one.

    `customer_id` limits the search to one company, for its status card (containers are not loaded with
    it); None searches all (staff recording an event).
    """
    query = (
        select(Shipment)
        .join(Container, Container.shipment_id == Shipment.id)
        .where(Container.number == number)
    )
    if customer_id is not None:
        query = query.where(Shipment.customer_id == customer_id).options(_CARD_READS_CONTAINERS)
    query = query.order_by(Shipment.completed, Shipment.created_at.desc(), Shipment.id.desc()).limit(1)
    return await session.scalar(query)
