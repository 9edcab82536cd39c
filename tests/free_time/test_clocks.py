"""The counting rules: free time on calendar or working days, the LFD, and charges itemised per tier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portcrm.calendar import PortCalendar
from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.services.tracking.free_time.clocks import free_time, itemise
from portcrm.services.tracking.free_time.equipment import Size
from portcrm.services.tracking.free_time.milestones import BoxFreeTime, box_free_time
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.free_time.tariff import Basis, Charge, Tier
from portcrm.services.tracking.free_time.tariff_file import load_tariff
from tests.free_time.support import SHANGHAI, at, rules
from tests.free_time.support import settings as port_settings

CALENDAR = PortCalendar(port_settings())
RULES = rules()
IMPORT = ShipmentDirection.IMPORT
DISCHARGED, GATE_OUT, EMPTY = (
    CargoEventType.DISCHARGED,
    CargoEventType.GATE_OUT,
    CargoEventType.EMPTY_RETURNED,
)
D = dt.date


def _box(
    size_type: str | None,
    events: list[tuple[CargoEventType, dt.datetime]],
    now: dt.datetime,
    *,
    customer: str = "C1",
    direction: ShipmentDirection = IMPORT,
    rules: FreeTimeRules = RULES,
) -> BoxFreeTime:
    return box_free_time(
        "MSKU1234565", size_type, events, direction=direction, customer_code=customer, rules=rules, now=now
    )


class TestFreeTime:
    def test_calendar_days_run_through_the_spring_festival_and_working_days_skip_it(self) -> None:
        # Fri 13 Feb 2026; Sat 14th is a make-up working day; 15th-23rd are off (春节)
        calendar = free_time(D(2026, 2, 13), 5, Basis.CALENDAR, CALENDAR)
        assert (calendar.starts_on, calendar.last_free_day) == (D(2026, 2, 13), D(2026, 2, 17))
        working = free_time(D(2026, 2, 13), 5, Basis.WORKING, CALENDAR)
        assert (working.starts_on, working.last_free_day) == (D(2026, 2, 13), D(2026, 2, 26))

    def test_a_box_discharged_during_the_holiday_starts_on_the_first_working_day(self) -> None:
        working = free_time(D(2026, 2, 17), 5, Basis.WORKING, CALENDAR)
        # Tue 24th is the first working day; Sat 28th is a make-up working day and counts as day 5
        assert (working.available_on, working.starts_on) == (D(2026, 2, 17), D(2026, 2, 24))
        assert working.last_free_day == D(2026, 2, 28)

    def test_national_day_with_its_make_up_saturday(self) -> None:
        # Mon 28 Sep 2026: 28, 29, 30, then 1-7 Oct off, then 8, 9, Sat 10 (make-up) and Mon 12
        assert free_time(D(2026, 9, 28), 7, Basis.WORKING, CALENDAR).last_free_day == D(2026, 10, 12)
        assert free_time(D(2026, 9, 28), 7, Basis.CALENDAR, CALENDAR).last_free_day == D(2026, 10, 4)
        # Sun 20 Sep is a make-up working day: a box discharged on it starts counting at once
        sunday = free_time(D(2026, 9, 20), 1, Basis.WORKING, CALENDAR)
        assert (sunday.starts_on, sunday.last_free_day) == (D(2026, 9, 20), D(2026, 9, 20))

    def test_the_day_is_the_ports_not_utcs(self) -> None:
        night = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)  # 01:30 on 2 March at the port
        box = _box("22G1", [(DISCHARGED, night)], at(D(2026, 3, 2)))
        (clock,) = box.clocks
        assert (clock.free.available_on, clock.last_free_day) == (D(2026, 3, 2), D(2026, 3, 6))
        assert clock.free_time_ends(SHANGHAI) == at(D(2026, 3, 7), 0)


class TestCharges:
    def test_days_after_the_lfd_fill_the_tiers_in_order_up_to_today(self) -> None:
        box = _box("42G1", [(DISCHARGED, at(D(2026, 3, 2), 6))], at(D(2026, 3, 16), 8))
        (clock,) = box.clocks
        assert (clock.charge, clock.running, clock.last_free_day) == (Charge.DEMURRAGE, True, D(2026, 3, 6))
        assert [(i.tier, i.first_day, i.last_day, i.days, i.rate, i.amount) for i in clock.items] == [
            (1, D(2026, 3, 7), D(2026, 3, 9), 3, Decimal("200.00"), Decimal("600.00")),
            (2, D(2026, 3, 10), D(2026, 3, 13), 4, Decimal("400.00"), Decimal("1600.00")),
            (3, D(2026, 3, 14), D(2026, 3, 16), 3, Decimal("800.00"), Decimal("2400.00")),
        ]
        assert (clock.total, clock.charged_days, clock.currency) == (Decimal("4600.00"), 10, "CNY")
        assert clock.rule.reference == "TEST-1"
        assert not clock.rule.agreement
        assert clock.rates() == [
            (1, 3, Decimal("200.00")),
            (4, 7, Decimal("400.00")),
            (8, None, Decimal("800.00")),
        ]

    def test_nothing_is_charged_up_to_and_on_the_last_free_day(self) -> None:
        (clock,) = _box("22G1", [(DISCHARGED, at(D(2026, 3, 2)))], at(D(2026, 3, 6), 23, 59)).clocks
        assert (clock.items, clock.total) == ((), Decimal("0.00"))
        (clock,) = _box("22G1", [(DISCHARGED, at(D(2026, 3, 2)))], at(D(2026, 3, 7), 0, 1)).clocks
        assert [(i.days, i.amount) for i in clock.items] == [(1, Decimal("100.00"))], "a day begun is charged"

    def test_a_reefer_has_fewer_free_days_and_dearer_ones_than_a_dry_box(self) -> None:
        now = at(D(2026, 3, 8))
        (dry,) = _box("45G1", [(DISCHARGED, at(D(2026, 3, 2)))], now).clocks
        (reefer,) = _box("45R1", [(DISCHARGED, at(D(2026, 3, 2)))], now).clocks
        assert (dry.last_free_day, reefer.last_free_day) == (D(2026, 3, 6), D(2026, 3, 4))
        assert (dry.total, reefer.total) == (
            Decimal("400.00"),
            Decimal("3600.00"),
        )  # 2 x 200; 2 x 600 + 2 x 1200
        assert [i.rate for i in reefer.items] == [Decimal("600.00"), Decimal("1200.00")]

    def test_a_customers_agreement_replaces_the_basis_and_names_itself(self) -> None:
        events = [(DISCHARGED, at(D(2026, 2, 13)))]
        (agreed,) = _box("22G1", events, at(D(2026, 3, 2)), customer="ACME").clocks
        (standard,) = _box("22G1", events, at(D(2026, 3, 2)), customer="OTHER").clocks
        assert (agreed.rule.reference, agreed.rule.agreement) == ("ACME-2026", True)
        assert agreed.free.basis is Basis.WORKING
        assert agreed.last_free_day == D(2026, 2, 26), "5 working days across the Spring Festival"
        assert standard.last_free_day == D(2026, 2, 17)
        assert agreed.tiers == standard.tiers, "the agreement left the port's tiers in place"
        assert (agreed.charged_days, standard.charged_days) == (4, 13)
        # the agreement prices dry boxes only: its reefer follows the port's tariff
        (reefer,) = _box("22R1", events, at(D(2026, 3, 2)), customer="ACME").clocks
        assert reefer.rule.reference == "TEST-1"

    def test_gate_out_stops_demurrage_and_starts_detention_and_the_empty_return_stops_that(self) -> None:
        discharged, gate_out, returned = at(D(2026, 3, 2)), at(D(2026, 3, 12), 14), at(D(2026, 3, 21), 9)
        before_return = _box("42G1", [(DISCHARGED, discharged), (GATE_OUT, gate_out)], at(D(2026, 3, 20)))
        demurrage, detention = before_return.clocks
        assert (demurrage.charge, demurrage.running, demurrage.stopped_at) == (
            Charge.DEMURRAGE,
            False,
            gate_out,
        )
        assert demurrage.counted_to == D(2026, 3, 12), "the day of gate-out is charged"
        assert demurrage.total == Decimal("1800.00")  # 7th-9th at 200, 10th-12th at 400
        assert (detention.charge, detention.running) == (Charge.DETENTION, True)
        assert (detention.free.available_on, detention.last_free_day) == (D(2026, 3, 12), D(2026, 3, 18))
        assert [(i.days, i.amount) for i in detention.items] == [(2, Decimal("200.00"))]

        later = at(D(2026, 4, 30))
        events = [(EMPTY, returned), (GATE_OUT, gate_out), (DISCHARGED, discharged)]  # in any order
        demurrage_after, detention_after = _box("42G1", events, later).clocks
        assert demurrage_after == demurrage
        assert (detention_after.running, detention_after.counted_to) == (False, D(2026, 3, 21))
        assert detention_after.total == Decimal("300.00"), "charged to the return, not to today"

    def test_a_repeated_or_stray_event_does_not_move_the_clock(self) -> None:
        discharged = at(D(2026, 3, 2))
        events = [
            (GATE_OUT, at(D(2026, 3, 1))),  # before the discharge: not this clock's stop
            (DISCHARGED, at(D(2026, 3, 3))),  # reported again later: the earliest counts
            (DISCHARGED, discharged),
        ]
        demurrage, _detention = _box("22G1", events, at(D(2026, 3, 10))).clocks
        assert (demurrage.started_at, demurrage.running) == (discharged, True)

    def test_a_box_the_tariff_cannot_price_is_named_not_guessed(self) -> None:
        events = [(DISCHARGED, at(D(2026, 3, 2)))]
        unknown = _box(None, events, at(D(2026, 3, 10)))
        assert (unknown.clocks, unknown.unpriced, unknown.started) == ((), (Charge.DEMURRAGE,), True)
        tank = _box("22T1", events, at(D(2026, 3, 10)))  # the test tariff has no tank line
        assert (tank.equipment is not None, tank.clocks, tank.unpriced) == (True, (), (Charge.DEMURRAGE,))
        waiting = _box("22G1", [], at(D(2026, 3, 10)))
        assert not waiting.started

    def test_an_export_box_runs_detention_from_empty_pick_up_then_demurrage_from_gate_in(self) -> None:
        port = FreeTimeRules(load_tariff(None), CALENDAR, SHANGHAI)
        events = [
            (CargoEventType.EMPTY_PICKUP, at(D(2026, 3, 2))),
            (CargoEventType.GATE_IN, at(D(2026, 3, 9))),
        ]
        box = _box("22G1", events, at(D(2026, 3, 20)), direction=ShipmentDirection.EXPORT, rules=port)
        detention, demurrage = box.clocks
        assert (detention.charge, detention.running, detention.last_free_day) == (
            Charge.DETENTION,
            False,
            D(2026, 3, 11),
        )
        assert (demurrage.charge, demurrage.running, demurrage.free.available_on) == (
            Charge.DEMURRAGE,
            True,
            D(2026, 3, 9),
        )
        transshipment = _box("22G1", events, at(D(2026, 3, 20)), direction=ShipmentDirection.TRANSSHIPMENT)
        assert not transshipment.started


DAYS = st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31))
TIERS = st.lists(st.integers(min_value=1, max_value=10), min_size=0, max_size=3).map(
    lambda days: (
        *(Tier(n, {size: Decimal(10 * (i + 1)) for size in Size}) for i, n in enumerate(days)),
        Tier(None, {size: Decimal(1000) for size in Size}),
    )
)


class TestProperties:
    @settings(max_examples=150, deadline=None)
    @given(day=DAYS, free_days=st.integers(min_value=1, max_value=40))
    def test_the_lfd_ends_the_nth_counted_day(self, day: dt.date, free_days: int) -> None:
        calendar = free_time(day, free_days, Basis.CALENDAR, CALENDAR)
        assert calendar.starts_on == day
        assert (calendar.last_free_day - day).days == free_days - 1
        working = free_time(day, free_days, Basis.WORKING, CALENDAR)
        assert working.last_free_day >= calendar.last_free_day
        assert CALENDAR.is_working_day(working.starts_on)
        assert CALENDAR.is_working_day(working.last_free_day)
        skipped = (working.starts_on - day).days
        assert not any(CALENDAR.is_working_day(day + dt.timedelta(days=n)) for n in range(skipped))
        span = (working.last_free_day - working.starts_on).days + 1
        counted = sum(CALENDAR.is_working_day(working.starts_on + dt.timedelta(days=n)) for n in range(span))
        assert counted == free_days

    @settings(max_examples=150, deadline=None)
    @given(first=DAYS, days=st.integers(min_value=-3, max_value=60), tiers=TIERS, size=st.sampled_from(Size))
    def test_charged_days_are_every_day_once_within_each_tiers_length(
        self, first: dt.date, days: int, tiers: tuple[Tier, ...], size: Size
    ) -> None:
        last = first + dt.timedelta(days=days - 1)
        items = itemise(tiers, size, first, last)
        assert sum(item.days for item in items) == max(days, 0)
        expected_first = first
        for item, tier in zip(items, tiers, strict=False):
            assert item.first_day == expected_first
            assert (item.last_day - item.first_day).days + 1 == item.days >= 1
            assert tier.days is None or item.days <= tier.days
            assert item.amount == item.rate * item.days
            assert item.rate == tier.rates[size]
            expected_first = item.last_day + dt.timedelta(days=1)
        assert all(item.days == tier.days for item, tier in zip(items[:-1], tiers, strict=False))
        longer = itemise(tiers, size, first, last + dt.timedelta(days=1))
        if days >= 0:
            assert sum(i.amount for i in longer) > sum(i.amount for i in items), "another day costs more"


@pytest.mark.parametrize("basis", list(Basis))
def test_free_time_is_at_least_a_day(basis: Basis) -> None:
    with pytest.raises(ValueError, match="at least one day"):
        free_time(D(2026, 3, 2), 0, basis, CALENDAR)
