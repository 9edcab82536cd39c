"""Shipments with containers and terminal event histories in the order each direction really runs.

Each shipment's whole timeline is laid out first, then shifted in time: completed ones end somewhere in the
last year; active ones are cut at the stage they are in now, their next event falling after today's start.
The row's status, location, holds and `completed` are copied from the last event that has happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from portcrm.demo import maritime, numbers, vocabulary
from portcrm.demo.context import Company, PlannedShipment, SeedContext
from portcrm.enums import CargoEventType as E
from portcrm.enums import CustomerType, Grade, ShipmentDirection
from portcrm.models import CargoEvent, Container, Shipment, ShipmentSubscription

TOTAL = 600
ACTIVE_SHARE = 0.15
_SHIPMENT_WEIGHT = {Grade.A: 10.0, Grade.B: 4.0, Grade.C: 1.3}
# The persona's company: (direction, customs hold?, payment hold?, stage it is in now or None if completed,
# days since discharge or None). The box waiting for pick-up was discharged 5 days ago: with the tariff's 7
# free days (the discharge day is day 1) its Last Free Day is tomorrow, and the hourly job warns of it.
_PERSONA_PLAN = (
    (ShipmentDirection.EXPORT, False, False, E.BOOKING_CONFIRMED, None),
    (ShipmentDirection.EXPORT, False, False, E.GATE_IN, None),
    (ShipmentDirection.EXPORT, False, False, E.LOADED, None),
    (ShipmentDirection.IMPORT, True, False, E.CUSTOMS_HOLD, None),
    (ShipmentDirection.IMPORT, False, True, E.PAYMENT_HOLD, None),
    (ShipmentDirection.IMPORT, False, False, E.AVAILABLE_FOR_PICKUP, 5),
    (ShipmentDirection.EXPORT, False, False, None, None),
    (ShipmentDirection.EXPORT, False, False, None, None),
    (ShipmentDirection.IMPORT, True, False, None, None),
    (ShipmentDirection.IMPORT, False, False, None, None),
)


@dataclass(frozen=True)
class _Step:
    event: E
    at: int  # minutes from the first event
    container: str
    location: str


def build_shipments(ctx: SeedContext) -> list[PlannedShipment]:
    rng = ctx.rng
    persona = ctx.persona_company("customer")
    plans = [(persona, *plan) for plan in _PERSONA_PLAN]
    shippers = [
        c for c in ctx.companies if c.customer.type != CustomerType.SERVICE_PROVIDER and not c.persona
    ]
    weights = [
        _SHIPMENT_WEIGHT[c.customer.grade] * (0.3 if c.customer.type == CustomerType.SHIPPING_LINE else 1)
        for c in shippers
    ]
    for company in rng.choices(shippers, weights=weights, k=TOTAL - len(plans)):
        direction = ShipmentDirection.EXPORT if rng.random() < 0.65 else ShipmentDirection.IMPORT
        customs, payment = rng.random() < 0.2, rng.random() < 0.1
        plans.append((company, direction, customs, payment, _stop(ctx, direction, customs, payment), None))
    used: set[str] = set()
    return [_shipment(ctx, used, *plan) for plan in plans]


def cargo_events(shipments: list[PlannedShipment]) -> list[CargoEvent]:
    """The planned events, now that their shipments have ids."""
    for planned in shipments:
        for event in planned.events:
            event.shipment_id = planned.shipment.id
    return [e for planned in shipments for e in planned.events]


def subscriptions(ctx: SeedContext) -> list[ShipmentSubscription]:
    """The customer personas follow their active shipments (as /track offers): their pushes reach the demo."""
    return [
        ShipmentSubscription(contact_id=p.company.primary.id, shipment_id=p.shipment.id)
        for p in ctx.shipments
        if p.company.persona in ("customer", "customer_tw") and not p.shipment.completed
    ]


def _flow(
    direction: ShipmentDirection, customs: bool, payment: bool
) -> tuple[tuple[E, bool, tuple[int, int]], ...]:
    if direction == ShipmentDirection.EXPORT:
        return maritime.EXPORT_STEPS
    return (
        maritime.ARRIVAL_STEPS
        + (maritime.CUSTOMS_HOLD_STEPS if customs else maritime.CUSTOMS_CLEAR_STEPS)
        + (maritime.PAYMENT_HOLD_STEPS if payment else ())
        + maritime.RELEASE_STEPS
    )


def _stop(ctx: SeedContext, direction: ShipmentDirection, customs: bool, payment: bool) -> E | None:
    """The stage an active shipment is in now (None: completed); holds are favoured, as they need action."""
    if ctx.rng.random() >= ACTIVE_SHARE:
        return None
    stages = [event for event, _, _ in _flow(direction, customs, payment)[:-1]]
    weights = [3 if event in (E.CUSTOMS_HOLD, E.PAYMENT_HOLD) else 1 for event in stages]
    return ctx.rng.choices(stages, weights=weights)[0]


def _shipment(
    ctx: SeedContext,
    used: set[str],
    company: Company,
    direction: ShipmentDirection,
    customs: bool,
    payment: bool,
    stop: E | None,
    discharged_days_ago: int | None,
) -> PlannedShipment:
    rng = ctx.rng
    vessel, carrier_name, imo = rng.choice(maritime.VESSELS)
    carrier = maritime.CARRIERS[carrier_name]
    port = rng.choice(company.ports or maritime.PORTS)
    description = _description(ctx, company, direction, dry=discharged_days_ago is not None)
    containers = _containers(ctx, carrier.owner_codes, reefer="REEFER" in description)
    steps = _timeline(ctx, direction, customs, payment, containers, company.city)
    cut_at = len(steps) if stop is None else max(i for i, s in enumerate(steps) if s.event == stop) + 1
    if stop is None:
        end = ctx.cut - dt.timedelta(minutes=rng.randint(maritime.DAY, 360 * maritime.DAY))
    else:  # the next step is at least an hour on, so it falls after the cut
        room = steps[cut_at].at - steps[cut_at - 1].at
        end = ctx.cut - dt.timedelta(minutes=rng.randint(30, min(room - 1, 40 * maritime.HOUR)))
    start = end - dt.timedelta(minutes=steps[cut_at - 1].at)
    if discharged_days_ago is not None:  # the first box's discharge at a set day, mid-morning
        discharged = ctx.at(ctx.days_ago(discharged_days_ago), 10)
        start = discharged - dt.timedelta(minutes=next(s.at for s in steps if s.event == E.DISCHARGED))
    vessel_step = E.VESSEL_DEPARTED if direction == ShipmentDirection.EXPORT else E.VESSEL_ARRIVED
    vessel_at = start + dt.timedelta(minutes=next(s.at for s in steps if s.event == vessel_step))
    etd, eta, ata, voyage = _schedule(ctx, carrier, port, direction, vessel_at)
    ports = (
        (maritime.HOME_PORT.name, port.name)
        if direction == ShipmentDirection.EXPORT
        else (port.name, maritime.HOME_PORT.name)
    )
    happened = steps[:cut_at]
    events = [
        CargoEvent(
            container_number=s.container,
            event_type=s.event,
            occurred_at=start + dt.timedelta(minutes=s.at),
            location=s.location,
        )
        for s in happened
    ]
    last = happened[-1]
    shipment = Shipment(
        customer_id=company.customer.id,
        bl_number=_unique(used, lambda: f"{carrier.bl_prefix}{numbers.digits(rng, 10)}"),
        booking_ref=_unique(used, lambda: numbers.digits(rng, 10))
        if direction == ShipmentDirection.EXPORT
        else None,
        direction=direction,
        cargo_description=f"{description}, {len(containers) * rng.randint(300, 1400):,} PACKAGES",
        weight_kg=Decimal(sum(w for _, _, w in containers)),
        vessel_name=vessel,
        voyage=voyage,
        vessel_imo=imo,
        port_of_loading=ports[0],
        port_of_discharge=ports[1],
        etd=etd,
        eta=eta,
        ata=ata,
        status=last.event,
        location=last.location,
        customs_hold=last.event == E.CUSTOMS_HOLD,
        payment_hold=last.event == E.PAYMENT_HOLD,
        completed=stop is None,
        containers=[
            Container(number=n, size_type=t, seal_number=f"{carrier.seal_prefix}{numbers.digits(rng, 7)}")
            for n, t, _ in containers
        ],
        created_at=events[0].occurred_at,
    )
    return PlannedShipment(shipment, company, events)


def _schedule(
    ctx: SeedContext,
    carrier: maritime.Carrier,
    port: maritime.Port,
    direction: ShipmentDirection,
    vessel_at: dt.datetime,
) -> tuple[dt.datetime, dt.datetime, dt.datetime | None, str]:
    """ETD, ETA, ATA (None until known) and voyage, around the vessel's call at the home port."""
    rng = ctx.rng
    transit = dt.timedelta(days=port.transit_days, hours=rng.randint(-12, 12))
    if direction == ShipmentDirection.EXPORT:
        bound = maritime.EXPORT_BOUND[port.lane]
        etd, eta = vessel_at, vessel_at + transit
        ata = eta + dt.timedelta(hours=rng.randint(-6, 30))
    else:
        bound = maritime.INBOUND[maritime.EXPORT_BOUND[port.lane]]
        etd, eta, ata = vessel_at - transit, vessel_at - dt.timedelta(hours=rng.randint(-12, 30)), vessel_at
    week = etd.isocalendar()
    running = f"{rng.randint(1, 199):03d}"
    voyage = f"{week.year % 100:02d}{week.week:02d}{bound}" if carrier.week_voyages else f"{running}{bound}"
    return etd, eta, ata if ata < ctx.cut else None, voyage


def _timeline(
    ctx: SeedContext,
    direction: ShipmentDirection,
    customs: bool,
    payment: bool,
    containers: list[tuple[str, str, int]],
    city: str,
) -> list[_Step]:
    rng = ctx.rng
    terminal, depot = rng.choice(maritime.TERMINALS), rng.choice(maritime.EMPTY_DEPOTS)
    places = {
        E.BOOKING_CONFIRMED: maritime.HOME_PORT.name,
        E.EMPTY_PICKUP: depot,
        E.CUSTOMS_HOLD: maritime.CUSTOMS_AREA,
        E.DELIVERED: next((c.zh for c in vocabulary.CITIES if c.en == city), city),
    }
    steps: list[_Step] = []
    at = 0
    for event, per_container, (lo, hi) in _flow(direction, customs, payment):
        at += rng.randint(lo, hi) if steps else 0
        location = places.get(event, terminal)
        for n, (number, _, _) in enumerate(containers if per_container else [("", "", 0)]):
            at += rng.randint(10, 90) if n else 0
            steps.append(_Step(event, at, number, location))
    return steps


def _containers(ctx: SeedContext, owners: tuple[str, ...], *, reefer: bool) -> list[tuple[str, str, int]]:
    """(number, ISO size-type, cargo weight in kg) of one to six boxes, mostly the carrier's own."""
    rng = ctx.rng
    count = rng.choices((1, 2, 3, 4, 5, 6), weights=(40, 30, 15, 8, 4, 3))[0]
    numbers_: set[str] = set()
    while len(numbers_) < count:
        owner = rng.choice(owners) if rng.random() < 0.7 else rng.choice(maritime.LESSOR_OWNER_CODES)
        numbers_.add(numbers.container(rng, owner))
    size_type, _, typical = (
        maritime.REEFER
        if reefer
        else rng.choices(maritime.SIZE_TYPES, weights=[w for _, w, _ in maritime.SIZE_TYPES])[0]
    )
    return [(n, size_type, round(typical * rng.uniform(0.6, 1.4))) for n in sorted(numbers_)]


def _description(ctx: SeedContext, company: Company, direction: ShipmentDirection, *, dry: bool) -> str:
    """Imports are what the region buys; exports are what the company (or its shippers) make."""
    if direction == ShipmentDirection.IMPORT:
        return ctx.rng.choice([c for c in maritime.IMPORT_CARGO if not dry or "REEFER" not in c])
    return ctx.rng.choice(
        maritime.EXPORT_CARGO[ctx.rng.choice(company.cargo_keys or tuple(maritime.EXPORT_CARGO))][1]
    )


def _unique(used: set[str], make: Callable[[], str]) -> str:
    value = make()
    while value in used:
        value = make()
    used.add(value)
    return value
