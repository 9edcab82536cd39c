"""What counting needs besides a box's events: the tariff, the port's working calendar and its time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portcrm.calendar import PortCalendar
from portcrm.services.tracking.free_time.clocks import WorkingDays
from portcrm.services.tracking.free_time.tariff import Tariff
from portcrm.settings import Settings


@dataclass(frozen=True, slots=True)
class FreeTimeRules:
    tariff: Tariff
    calendar: WorkingDays
    tz: ZoneInfo

    @classmethod
    def from_settings(cls, tariff: Tariff, settings: Settings) -> FreeTimeRules:
        return cls(tariff, LazyCalendar(settings), settings.tz)


class LazyCalendar:
    """The port's calendar built on first use: a tariff counting calendar days never loads `holidays`,
    which costs the bot megabytes (tests/test_lazy_imports.py)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._calendar: PortCalendar | None = None

    def is_working_day(self, day: dt.date) -> bool:
        if self._calendar is None:
            self._calendar = PortCalendar(self._settings)
        return self._calendar.is_working_day(day)
