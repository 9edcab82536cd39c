"""A small tariff with round numbers, the port's real calendar, and moments on the port's clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portcrm.calendar import PortCalendar
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.free_time.tariff_file import parse_tariff
from portcrm.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")

TARIFF_TOML = """
reference = "TEST-1"
currency = "CNY"

[[lines]]
charge = "demurrage"
direction = "import"
equipment = ["dry", "special"]
free_days = 5
basis = "calendar"
tiers = [
  { days = 3, 20 = 100, 40 = 200, 45 = 250 },
  { days = 4, 20 = 200, 40 = 400, 45 = 500 },
  { 20 = 400, 40 = 800, 45 = 1000 },
]

[[lines]]
charge = "demurrage"
direction = "import"
equipment = "reefer"
free_days = 3
basis = "calendar"
tiers = [
  { days = 2, 20 = 300, 40 = 600, 45 = 700 },
  { 20 = 600, 40 = 1200, 45 = 1400 },
]

[[lines]]
charge = "detention"
direction = "import"
equipment = ["dry", "reefer", "special"]
free_days = 7
basis = "calendar"
tiers = [{ 20 = 50, 40 = 100, 45 = 120 }]

[agreements.ACME]
reference = "ACME-2026"

[[agreements.ACME.lines]]
charge = "demurrage"
direction = "import"
equipment = "dry"
free_days = 5
basis = "working"
"""


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def rules(text: str = TARIFF_TOML) -> FreeTimeRules:
    return FreeTimeRules(parse_tariff(text, "test tariff"), PortCalendar(settings()), SHANGHAI)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment on the port's clock."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)
