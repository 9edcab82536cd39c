"""What the seeding steps share: one random source, the demo's "today" and what earlier steps created."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from portcrm.demo.maritime import Port
from portcrm.demo.personas import persona
from portcrm.enums import Role
from portcrm.models import CargoEvent, Contact, Customer, Shipment, Staff

T = TypeVar("T")


@dataclass(eq=False)
class Company:
    """A customer with the facts later steps draw on (where it is, what it ships, where to)."""

    customer: Customer
    city: str  # English city name: where imports are delivered
    region: str  # "CN", "HK", "TW" or "INTL": decides phone numbers, scripts and locales
    email_domain: str
    cargo_keys: tuple[str, ...] = ()
    ports: tuple[Port, ...] = ()
    persona: str | None = None
    contacts: list[Contact] = field(default_factory=list)

    @property
    def primary(self) -> Contact:
        return self.contacts[0]


@dataclass(eq=False)
class PlannedShipment:
    shipment: Shipment
    company: Company
    events: list[CargoEvent]  # in order; shipment_id is set once the shipment has its id


@dataclass(eq=False)
class SeedContext:
    rng: random.Random
    today: dt.date
    tz: ZoneInfo
    staff: list[Staff] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    shipments: list[PlannedShipment] = field(default_factory=list)

    @property
    def cut(self) -> dt.datetime:
        """Midnight starting today: all that "happened" lies before it, so the demo never shows a future."""
        return dt.datetime.combine(self.today, dt.time(), self.tz)

    def at(self, day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), self.tz)

    def office_time(self, day: dt.date) -> dt.datetime:
        return self.at(day, self.rng.randint(8, 17), self.rng.randrange(0, 60, 5))

    def days_ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    def spread(self, values: Sequence[T], count: int) -> list[T]:
        """`count` values cycling through `values`, shuffled: all appear once count reaches len(values)."""
        cycled = [values[n % len(values)] for n in range(count)]
        self.rng.shuffle(cycled)
        return cycled

    def by_role(self, role: Role) -> list[Staff]:
        return [s for s in self.staff if role in s.role_set]

    def persona_staff(self, key: str) -> Staff:
        telegram_user_id = persona(key).telegram_user_id
        return next(s for s in self.staff if s.telegram_user_id == telegram_user_id)

    def persona_company(self, key: str) -> Company:
        return next(c for c in self.companies if c.persona == key)
