"""The port's working calendar: which days are worked, working time between moments, and festival dates.

One place for these rules. The `holidays` package knows China's statutory holidays (lunar dates included),
the days off and the make-up working days (调休) of every year the State Council has announced; later years
are its rule-based guesses. The optional override file (`settings.calendar_file`, see docs/calendar.md)
gives the coming year's official arrangement before the package catches up, and wins over it.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import importlib.util
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portcrm.settings import ConfigError, Settings

if TYPE_CHECKING:
    from holidays.countries.china import China

_SEARCH_DAYS = 3660  # add_working_time gives up after ten years without working time


class Festival(enum.StrEnum):
    """The festivals a Chinese port greets customers on; Qingming (清明节) is remembrance, never one."""

    NEW_YEAR = "new_year"  # 元旦
    SPRING_FESTIVAL = "spring_festival"  # 春节
    DRAGON_BOAT = "dragon_boat"  # 端午节
    MID_AUTUMN = "mid_autumn"  # 中秋节
    NATIONAL_DAY = "national_day"  # 国庆节


# The package's names in zh_CN, its default language: the source strings, so no translation can move them.
_LIBRARY_NAMES = {
    "元旦": Festival.NEW_YEAR,
    "春节": Festival.SPRING_FESTIVAL,
    "端午节": Festival.DRAGON_BOAT,
    "中秋节": Festival.MID_AUTUMN,
    "国庆节": Festival.NATIONAL_DAY,
}


@dataclass(frozen=True, slots=True)
class Overrides:
    """The override file: explicit days, years given in full, and corrected festival dates."""

    days_off: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    full_years: frozenset[int] = frozenset()  # years whose days off and make-up days the file lists in full
    festivals: dict[tuple[int, Festival], dt.date] = field(default_factory=dict)


class PortCalendar:
    """Working days and hours in the port's time zone, built from `holidays.China` and the override file."""

    def __init__(self, settings: Settings) -> None:
        self.tz = settings.tz
        self.opens, self.closes = _working_hours(settings.working_hours)
        self.overrides = load_overrides(settings.calendar_file)
        self._library = china()

    @property
    def day_length(self) -> dt.timedelta:
        """One working day's hours (08:30–17:30 is nine): the unit of "working days" in SLAs."""
        start = dt.datetime.combine(dt.date(2000, 1, 1), self.opens)
        return dt.datetime.combine(start.date(), self.closes) - start

    def is_working_day(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            day = day.astimezone(self.tz).date()
        if day in self.overrides.working_days:
            return True
        if day in self.overrides.days_off:
            return False
        if day.year in self.overrides.full_years:
            return day.weekday() < 5
        # the package adds the year on first use; make-up days across New Year (2001-12-29) it knows up front
        return self._library.is_working_day(day)

    def working_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The day's working hours as aware UTC moments, or None on a day off."""
        if not self.is_working_day(day):
            return None
        opens = dt.datetime.combine(day, self.opens, tzinfo=self.tz).astimezone(dt.UTC)
        return opens, dt.datetime.combine(day, self.closes, tzinfo=self.tz).astimezone(dt.UTC)

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working hours on working days from `start` to `end` (zero when end is not after start)."""
        start, end = _utc(start), _utc(end)
        total = dt.timedelta(0)
        day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        while day <= last and start < end:
            window = self.working_window(day)
            if window is not None:
                low, high = max(window[0], start), min(window[1], end)
                total += max(high - low, dt.timedelta(0))
            day += dt.timedelta(days=1)
        return total

    def add_working_time(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """The earliest moment by which `delta` of working time has passed since `start` (port time)."""
        start = _utc(start)
        if delta <= dt.timedelta(0):
            return start.astimezone(self.tz)
        remaining, day = delta, start.astimezone(self.tz).date()
        for _ in range(_SEARCH_DAYS):
            window = self.working_window(day)
            if window is not None and window[1] > start:
                low = max(window[0], start)
                if remaining <= window[1] - low:
                    return (low + remaining).astimezone(self.tz)
                remaining -= window[1] - low
            day += dt.timedelta(days=1)
        raise ValueError(f"no working time within {_SEARCH_DAYS} days of {start.isoformat()}")

    def working_days_after(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (make-up working days count, days off do not)."""
        left, moment = count, day
        for _ in range(_SEARCH_DAYS):
            moment += dt.timedelta(days=1)
            if self.is_working_day(moment):
                left -= 1
                if left <= 0:
                    return moment
        raise ValueError(f"not {count} working days within {_SEARCH_DAYS} days of {day.isoformat()}")

    def festivals(self, year: int) -> list[tuple[dt.date, Festival]]:
        """The first day of each greeted festival in `year`, in date order; the override file's dates win."""
        found: dict[Festival, dt.date] = {}
        for day, names in sorted(china(year).items()):
            # one day can carry several holidays, joined by "; " (Mid-Autumn fell on National Day in 2020)
            for name in str(names).split("; "):
                festival = _LIBRARY_NAMES.get(name.strip())
                if festival is not None and festival not in found:
                    found[festival] = day
        for (override_year, festival), day in self.overrides.festivals.items():
            if override_year == year:
                found[festival] = day
        return sorted((day, festival) for festival, day in found.items())


def china(*years: int) -> China:
    """The `holidays` package's China calendar in zh_CN.

    Imported on first use: only complaint desks, reports and scheduled jobs need it.
    tests/test_calendar.py fails when it is missing.
    """
    return _china_class()(years=years, language="zh_CN")


@functools.cache
def _china_class() -> type[China]:
    """China's module alone. `from holidays.countries.china import China` first runs the package
    `holidays.countries`, which imports every country the library knows (about 250 modules: 11 MB, 7 MB
    more than China's; the library's load cost is vacanza/holidays#998). Loaded by its file under its own
    name, China's module is the one that package would import later, should anything ask for it."""
    name = "holidays.countries.china"
    if name in sys.modules:
        return sys.modules[name].China  # type: ignore[no-any-return]
    import holidays

    spec = importlib.util.spec_from_file_location(name, Path(holidays.__file__).parent / "countries/china.py")
    if spec is None or spec.loader is None:  # a library laid out otherwise: the ordinary import
        from holidays.countries.china import China

        return China
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module.China  # type: ignore[no-any-return]


def load_overrides(path: Path | None) -> Overrides:
    """Read the TOML override file; a mistake in it stops start-up with one line naming the place."""
    if path is None:
        return Overrides()
    try:
        with Path(path).open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"PORTCRM_CALENDAR_FILE: {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"PORTCRM_CALENDAR_FILE: {path} is not valid TOML: {exc}") from None
    days_off: set[dt.date] = set()
    working: set[dt.date] = set()
    full_years: set[int] = set()
    festivals: dict[tuple[int, Festival], dt.date] = {}
    for key, section in data.items():
        where = f"{path} [{key}]"
        if not (key.isdigit() and len(key) == 4) or not isinstance(section, dict):
            raise ConfigError(f"PORTCRM_CALENDAR_FILE: {where}: expected a year's table, such as [2027]")
        unknown = set(section) - {"days_off", "working_days", "festivals"}
        if unknown:
            raise ConfigError(f"PORTCRM_CALENDAR_FILE: {where}: unknown key {sorted(unknown)[0]!r}")
        if "days_off" in section or "working_days" in section:
            full_years.add(int(key))
        days_off.update(_dates(section.get("days_off", []), f"{where} days_off"))
        working.update(_dates(section.get("working_days", []), f"{where} working_days"))
        for name, value in _table(section.get("festivals", {}), f"{where} festivals").items():
            festivals[(int(key), _festival(name, where))] = _date(value, f"{where} festivals.{name}")
    if both := days_off & working:
        raise ConfigError(f"PORTCRM_CALENDAR_FILE: {path}: {min(both)} is both a day off and a working day")
    return Overrides(frozenset(days_off), frozenset(working), frozenset(full_years), festivals)


def _working_hours(hours: tuple[str, str]) -> tuple[dt.time, dt.time]:
    try:
        opens, closes = (dt.time.fromisoformat(value) for value in hours)
    except ValueError:
        raise ConfigError(f"PORTCRM_WORKING_HOURS: {hours!r} must be two HH:MM times") from None
    if opens >= closes:
        raise ConfigError(f"PORTCRM_WORKING_HOURS: {hours!r} must open before it closes")
    return opens, closes


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    return moment.astimezone(dt.UTC)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"PORTCRM_CALENDAR_FILE: {where}: expected a table")
    return value


def _festival(name: str, where: str) -> Festival:
    try:
        return Festival(name)
    except ValueError:
        known = ", ".join(f.value for f in Festival)
        raise ConfigError(f"PORTCRM_CALENDAR_FILE: {where}: unknown festival {name!r} ({known})") from None


def _dates(values: Any, where: str) -> list[dt.date]:
    if not isinstance(values, list):
        raise ConfigError(f"PORTCRM_CALENDAR_FILE: {where}: expected a list of dates")
    return [_date(value, where) for value in values]


def _date(value: Any, where: str) -> dt.date:
    """A TOML date (2027-02-05) or a string "2027-02-05"."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(f"PORTCRM_CALENDAR_FILE: {where}: {value!r} is not a date (YYYY-MM-DD)") from None
