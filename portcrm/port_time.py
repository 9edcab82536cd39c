"""Times shown to people: on the port's clock, written the way the reader's language writes dates.

Cargo times are stored in UTC; a customer in Shanghai and one abroad both read the port's local time, since
that is the time staff, terminals and schedules speak in. The clock is 24-hour, as at the terminal.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, get_datetime_format


def format_port_time(value: dt.datetime, tz: ZoneInfo, locale: str) -> str:
    """2026-03-01 01:30 UTC in Asia/Shanghai reads 2026年3月1日 09:30 (zh_CN), Mar 1, 2026, 09:30 (en)."""
    local = value.astimezone(tz)
    # Babel's medium date with a 24-hour time ("HH:mm": the same digits in every locale we speak), joined
    # by the locale's own date-time pattern. A status card shows a dozen times, most of them on a few days:
    # the date's text is kept, as Babel spends some microseconds on each.
    return _joiner(locale).format(f"{local.hour:02d}:{local.minute:02d}", _date_text(local.date(), locale))


@lru_cache(maxsize=1024)
def _date_text(day: dt.date, locale: str) -> str:
    return format_date(day, "medium", locale=_babel_locale(locale))


@cache
def _joiner(locale: str) -> str:
    return str(get_datetime_format("medium", locale=_babel_locale(locale)))


@cache
def _babel_locale(name: str) -> Locale:
    """Babel parses a locale name on every call by scanning all the locales it knows: about 0.5 ms each."""
    return Locale.parse(name)
