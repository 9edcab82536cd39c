"""The counting rules of free time and its charges: pure functions of moments and a calendar.

One convention for every clock (demurrage or detention, import or export), in the port's local time:

- the clock starts on the day of its start event (discharge, gate-out…): the availability date;
- on a calendar basis that day is day 1 of free time; on a working basis free time starts on the first
  working day from that day on, and only the port's working days count (weekends and statutory holidays are
  free, a make-up working Saturday counts: portcrm/calendar.py);
- the Last Free Day (LFD) is the day the last free day falls on; free time ends at midnight after it;
- every calendar day after the LFD is charged, working or not, up to and including the day the clock stops
  (the day of gate-out or empty return is charged) or, while it runs, today (a day begun is charged);
- charged days fill the tiers in order: the first tier's days at its rate, then the next tier's, and the
  last tier takes the rest. Each tier's amount is its days times its daily rate for the box's length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from portcrm.enums import CargoEventType
from portcrm.services.tracking.free_time.equipment import Size
from portcrm.services.tracking.free_time.tariff import Applied, Basis, Charge, Rule, Tier

_SEARCH_DAYS = 3660  # a calendar with no working day for ten years is a broken calendar
_DAY = dt.timedelta(days=1)


class WorkingDays(Protocol):
    """The port's calendar as the counting needs it (portcrm.calendar.PortCalendar is one)."""

    def is_working_day(self, day: dt.date) -> bool: ...


@dataclass(frozen=True, slots=True)
class ClockEvents:
    """A clock's charge and the events that start and stop it (milestones.py lists them by direction)."""

    charge: Charge
    starts: CargoEventType
    stops: CargoEventType


@dataclass(frozen=True, slots=True)
class FreeTime:
    available_on: dt.date
    free_days: int
    basis: Basis
    starts_on: dt.date
    last_free_day: dt.date


@dataclass(frozen=True, slots=True)
class TierCharge:
    tier: int  # 1 for the first tier
    first_day: dt.date
    last_day: dt.date
    days: int
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Clock:
    """One charge's clock for one box: its free time and what it has accrued up to `counted_to`."""

    events: ClockEvents
    rule: Rule
    currency: str
    free: FreeTime
    started_at: dt.datetime
    stopped_at: dt.datetime | None  # the stop event (gate-out, empty return…); None while it runs
    counted_to: dt.date  # the day it stopped, else today
    items: tuple[TierCharge, ...]
    size: Size
    tiers: tuple[Tier, ...]

    @property
    def charge(self) -> Charge:
        return self.events.charge

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def last_free_day(self) -> dt.date:
        return self.free.last_free_day

    @property
    def charged_days(self) -> int:
        return sum(item.days for item in self.items)

    @property
    def total(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal("0.00"))

    def rates(self) -> list[tuple[int, int | None, Decimal]]:
        """Each tier as (first charged day, last charged day or None for the rest, daily rate for the box)."""
        found, first = [], 1
        for tier in self.tiers:
            last = None if tier.days is None else first + tier.days - 1
            found.append((first, last, tier.rates[self.size]))
            first = (last or first) + 1
        return found

    def free_time_ends(self, tz: ZoneInfo) -> dt.datetime:
        """Midnight after the LFD, port time: when the first charged day begins."""
        return dt.datetime.combine(self.last_free_day + _DAY, dt.time.min, tzinfo=tz)


def free_time(available_on: dt.date, free_days: int, basis: Basis, calendar: WorkingDays) -> FreeTime:
    """Free time from the availability date: its first day and the Last Free Day."""
    if free_days < 1:
        raise ValueError("free time is at least one day")
    if basis is Basis.CALENDAR:
        return FreeTime(available_on, free_days, basis, available_on, available_on + (free_days - 1) * _DAY)
    day, counted, starts_on = available_on, 0, None
    for _ in range(_SEARCH_DAYS):
        if calendar.is_working_day(day):
            starts_on = starts_on or day
            counted += 1
            if counted == free_days:
                return FreeTime(available_on, free_days, basis, starts_on, day)
        day += _DAY
    raise ValueError(f"fewer than {free_days} working days within {_SEARCH_DAYS} days of {available_on}")


def itemise(
    tiers: Sequence[Tier], size: Size, first_day: dt.date, last_day: dt.date
) -> tuple[TierCharge, ...]:
    """The charged days from `first_day` to `last_day` (both included), tier by tier."""
    remaining = (last_day - first_day).days + 1
    items: list[TierCharge] = []
    day = first_day
    for number, tier in enumerate(tiers, start=1):
        if remaining <= 0:
            break
        days = remaining if tier.days is None else min(tier.days, remaining)
        rate = tier.rates[size]
        items.append(TierCharge(number, day, day + (days - 1) * _DAY, days, rate, rate * days))
        day, remaining = day + days * _DAY, remaining - days
    return tuple(items)


def run_clock(
    events: ClockEvents,
    applied: Applied,
    size: Size,
    started_at: dt.datetime,
    stopped_at: dt.datetime | None,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    calendar: WorkingDays,
) -> Clock:
    """The clock from its start event to its stop event, or to `now` while it runs."""
    line = applied.line
    free = free_time(started_at.astimezone(tz).date(), line.free_days, line.basis, calendar)
    counted_to = (stopped_at or now).astimezone(tz).date()
    items = itemise(line.tiers, size, free.last_free_day + _DAY, counted_to)
    return Clock(
        events, applied.rule, line.currency, free, started_at, stopped_at, counted_to, items, size, line.tiers
    )
