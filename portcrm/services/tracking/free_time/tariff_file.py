"""The tariff read from TOML: the built-in default_tariff.toml, or the file PORTCRM_TARIFF_FILE names.

The format (the built-in file is a commented example):

    reference = "NGB-2026"          # names the port's tariff as the rule applied
    currency = "CNY"                # of every line's rates, unless the line says otherwise
    [[lines]]
    charge = "demurrage"            # demurrage | detention
    direction = "import"            # import | export, or a list of them
    equipment = ["dry"]             # dry | reefer | special | tank, or a list of them
    free_days = 7                   # 1 to 366
    basis = "calendar"              # calendar | working (the port's working days)
    tiers = [                       # daily rates per length; every tier but the last has its days
      { days = 7, 20 = 100, 40 = 200, 45 = 250 },
      { 20 = 200, 40 = 400, 45 = 500 },
    ]
    [agreements.C00042]             # by customer code
    reference = "ACME-2026-017"
    [[agreements.C00042.lines]]     # charge, direction and equipment name the port's lines it replaces;
    charge = "demurrage"            # free_days, basis and tiers (with currency) each override the port's
    direction = "import"
    equipment = "dry"
    free_days = 14

A mistake stops start-up with one line naming the file, the place and what is wrong (ConfigError).
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from portcrm.enums import ShipmentDirection
from portcrm.services.tracking.free_time.equipment import EquipmentClass, Size
from portcrm.services.tracking.free_time.tariff import (
    Agreement,
    Basis,
    Charge,
    Line,
    LineKey,
    Rule,
    Tariff,
    Tier,
)
from portcrm.settings import ConfigError

BUILT_IN = "default_tariff.toml"
MAX_FREE_DAYS = 366
_DIRECTIONS = (
    ShipmentDirection.IMPORT,
    ShipmentDirection.EXPORT,
)  # a transshipment box is not the customer's
_TOP_KEYS = {"reference", "currency", "lines", "agreements"}
_LINE_KEYS = {"charge", "direction", "equipment", "free_days", "basis", "currency", "tiers"}
_AGREEMENT_KEYS = {"reference", "currency", "lines"}
_CENT = Decimal("0.01")
E = TypeVar("E", bound=enum.StrEnum)


def load_tariff(path: Path | None) -> Tariff:
    """The tariff in `path`, else the built-in one; raises ConfigError naming what is wrong."""
    if path is None:
        source = resources.files(__package__).joinpath(BUILT_IN)
        return parse_tariff(source.read_text(encoding="utf-8"), f"built-in tariff {BUILT_IN}")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"PORTCRM_TARIFF_FILE: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"PORTCRM_TARIFF_FILE: {path} cannot be read: {exc}") from None
    return parse_tariff(text, f"PORTCRM_TARIFF_FILE: {path}")


def parse_tariff(text: str, origin: str) -> Tariff:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin} is not valid TOML: {exc}") from None
    read = _Reader(origin)
    read.known(data, _TOP_KEYS, "the top level")
    rule = Rule(read.reference(data, "the top level"))
    currency = read.currency(data.get("currency"), "currency")
    if currency is None:
        raise read.error("the top level", 'currency is missing (such as currency = "CNY")')
    lines: dict[LineKey, Line] = {}
    for index, table in enumerate(read.tables(data.get("lines", []), "lines")):
        where = f"lines[{index}]"
        read.known(table, _LINE_KEYS, where)
        for name in ("free_days", "basis", "tiers"):
            if name not in table:
                raise read.error(where, f"{name} is missing")
        line = Line(
            read.free_days(table["free_days"], where),
            read.basis(table["basis"], where),
            read.currency(table.get("currency"), where) or currency,
            read.tiers(table["tiers"], where),
        )
        for key in read.keys(table, where):
            if key in lines:
                raise read.error(where, f"{_named(key)} is priced twice")
            lines[key] = line
    agreements: dict[str, Agreement] = {}
    for code, section in read.table(data.get("agreements", {}), "agreements").items():
        agreements[code] = read.agreement(code, section, lines, currency)
    return Tariff(rule, lines, agreements)


def _named(key: LineKey) -> str:
    return " ".join(part.value for part in key)


class _Reader:
    """Checks values and names the place of a mistake: the file, then the table, then the key."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def error(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.origin}: {where}: {message}")

    def known(self, table: Mapping[str, Any], allowed: set[str], where: str) -> None:
        if unknown := sorted(set(table) - allowed):
            raise self.error(where, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})")

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, "expected a table")
        return value

    def tables(self, value: Any, where: str) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(where, "expected an array of tables, such as [[lines]]")
        return value

    def reference(self, table: Mapping[str, Any], where: str) -> str:
        value = table.get("reference")
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise self.error(where, "reference must name the tariff or agreement in 1-64 characters")
        return value.strip()

    def currency(self, value: Any, where: str) -> str | None:
        if value is None:
            return None
        if not (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isupper()):
            raise self.error(where, f"currency {value!r} must be an ISO 4217 code such as CNY or USD")
        return value

    def free_days(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_FREE_DAYS:
            raise self.error(where, f"free_days {value!r} must be a whole number from 1 to {MAX_FREE_DAYS}")
        return value

    def basis(self, value: Any, where: str) -> Basis:
        return self._choice(Basis, value, f"{where} basis")

    def keys(self, table: Mapping[str, Any], where: str) -> list[LineKey]:
        for name in ("charge", "direction", "equipment"):
            if name not in table:
                raise self.error(where, f"{name} is missing")
        charges = [self._choice(Charge, v, f"{where} charge") for v in self._names(table["charge"], where)]
        directions = [self._direction(v, where) for v in self._names(table["direction"], where)]
        kinds = [
            self._choice(EquipmentClass, v, f"{where} equipment")
            for v in self._names(table["equipment"], where)
        ]
        return [(c, d, k) for c in charges for d in directions for k in kinds]

    def tiers(self, value: Any, where: str) -> tuple[Tier, ...]:
        if not isinstance(value, list) or not value:
            raise self.error(where, "tiers must be a non-empty list of tables")
        tiers = []
        for index, tier in enumerate(value):
            at = f"{where} tiers[{index}]"
            if not isinstance(tier, dict):
                raise self.error(at, "expected a table such as { days = 7, 20 = 100, 40 = 200, 45 = 250 }")
            self.known(tier, {"days", *Size}, at)
            last = index == len(value) - 1
            days = tier.get("days")
            if last and days is not None:
                raise self.error(at, "the last tier is open-ended: leave out its days")
            if not last and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
                raise self.error(at, f"days {days!r} must be a whole number of at least 1")
            tiers.append(
                Tier(days, {size: self._rate(tier.get(size.value), f"{at} {size.value}") for size in Size})
            )
        return tuple(tiers)

    def agreement(self, code: str, section: Any, tariff: Mapping[LineKey, Line], currency: str) -> Agreement:
        where = f"agreements.{code}"
        section = self.table(section, where)
        self.known(section, _AGREEMENT_KEYS, where)
        rule = Rule(self.reference(section, where), agreement=True)
        currency = self.currency(section.get("currency"), where) or currency
        lines: dict[LineKey, Line] = {}
        for index, table in enumerate(self.tables(section.get("lines", []), f"{where}.lines")):
            at = f"{where}.lines[{index}]"
            self.known(table, _LINE_KEYS, at)
            if "currency" in table and "tiers" not in table:
                raise self.error(at, "currency goes with tiers: give both or neither")
            for key in self.keys(table, at):
                if key in lines:
                    raise self.error(at, f"{_named(key)} is agreed twice")
                lines[key] = self._agreed(table, tariff.get(key), key, currency, at)
        return Agreement(rule, lines)

    def _agreed(
        self, table: Mapping[str, Any], base: Line | None, key: LineKey, currency: str, at: str
    ) -> Line:
        """The port's line with what the agreement says in place of its free days, basis or tiers."""
        if base is None:
            missing = [name for name in ("free_days", "basis", "tiers") if name not in table]
            if missing:
                raise self.error(at, f"the port's tariff has no {_named(key)} line to take {missing[0]} from")
            base = Line(1, Basis.CALENDAR, currency, ())  # every field is replaced below
        line = base
        if "free_days" in table:
            line = replace(line, free_days=self.free_days(table["free_days"], at))
        if "basis" in table:
            line = replace(line, basis=self.basis(table["basis"], at))
        if "tiers" in table:
            line_currency = self.currency(table.get("currency"), at) or currency
            line = replace(line, tiers=self.tiers(table["tiers"], at), currency=line_currency)
        return line

    def _names(self, value: Any, where: str) -> list[Any]:
        names = value if isinstance(value, list) else [value]
        if not names:
            raise self.error(where, "an empty list names nothing")
        return names

    def _direction(self, value: Any, where: str) -> ShipmentDirection:
        direction = self._choice(ShipmentDirection, value, f"{where} direction")
        if direction not in _DIRECTIONS:
            raise self.error(where, f"direction {value!r}: only import and export boxes are charged")
        return direction

    def _choice(self, kind: type[E], value: Any, where: str) -> E:
        try:
            return kind(value)
        except ValueError:
            known = " | ".join(member.value for member in kind)
            raise self.error(where, f"{value!r} is not one of {known}") from None

    def _rate(self, value: Any, where: str) -> Decimal:
        if value is None:
            raise self.error(where, "the daily rate is missing (every tier prices 20, 40 and 45)")
        try:
            rate = (
                Decimal(str(value))
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None
            )
            exact = rate is not None and rate.is_finite() and rate >= 0 and rate == rate.quantize(_CENT)
        except InvalidOperation:  # too many digits to quantize
            exact = False
        if rate is None or not exact:
            raise self.error(where, f"rate {value!r} must be an amount of at least 0 with at most 2 decimals")
        return rate.quantize(_CENT)
