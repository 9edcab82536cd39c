"""The tariff as values: free days, their basis and the daily rate tiers of each line, and which line applies.

A line is keyed by charge (demurrage or detention), the shipment's direction and the box's class of
equipment. The port's own tariff holds the default lines; a customer's agreement (by customer code)
replaces some of them, and the rule applied to a box names whichever its line came from, so a bill can
say "port tariff NGB-2026" or "agreement ACME-2026-017".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from portcrm.enums import ShipmentDirection
from portcrm.services.tracking.free_time.equipment import EquipmentClass, Size


class Charge(enum.StrEnum):
    DEMURRAGE = "demurrage"  # 滞港费: the full box occupies the terminal
    DETENTION = "detention"  # 滞箱费: the box is kept away from the line


class Basis(enum.StrEnum):
    """How free days are counted: every day, or only the port's working days (holidays and weekends free)."""

    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True, slots=True)
class Tier:
    """A run of chargeable days at one daily rate per length; `days` None is the last, open-ended tier."""

    days: int | None
    rates: Mapping[Size, Decimal]


@dataclass(frozen=True, slots=True)
class Line:
    free_days: int
    basis: Basis
    currency: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """Where a line comes from: the port's tariff, or the agreement of one customer; `reference` names it."""

    reference: str
    agreement: bool = False


LineKey = tuple[Charge, ShipmentDirection, EquipmentClass]


@dataclass(frozen=True, slots=True)
class Applied:
    rule: Rule
    line: Line


@dataclass(frozen=True, slots=True)
class Agreement:
    rule: Rule
    lines: Mapping[LineKey, Line]  # complete lines: what the agreement leaves out is filled from the tariff


@dataclass(frozen=True, slots=True)
class Tariff:
    rule: Rule
    lines: Mapping[LineKey, Line]
    agreements: Mapping[str, Agreement]  # by customer code

    def applied(
        self, customer_code: str | None, charge: Charge, direction: ShipmentDirection, kind: EquipmentClass
    ) -> Applied | None:
        """The customer's agreed line when there is one, else the port's; None when neither prices this."""
        key = (charge, direction, kind)
        agreement = self.agreements.get(customer_code or "")
        if agreement is not None and key in agreement.lines:
            return Applied(agreement.rule, agreement.lines[key])
        line = self.lines.get(key)
        return Applied(self.rule, line) if line is not None else None

    def every_line(self) -> list[Line]:
        """The port's lines and every agreement's, for bounds that must hold whichever applies."""
        return [*self.lines.values(), *(line for a in self.agreements.values() for line in a.lines.values())]
