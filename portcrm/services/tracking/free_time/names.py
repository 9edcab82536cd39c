"""Names of the free-time vocabulary as gettext message ids, shared by the status card and the pushes."""

from __future__ import annotations

import html
from collections.abc import Callable

from portcrm.errors import N_
from portcrm.services.tracking.free_time.equipment import Equipment, EquipmentClass
from portcrm.services.tracking.free_time.tariff import Basis, Charge, Rule

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]

CHARGE_NAMES = {
    Charge.DEMURRAGE: N_("Demurrage"),  # 滞港费
    Charge.DETENTION: N_("Detention"),  # 滞箱费
}
EQUIPMENT_NAMES = {
    EquipmentClass.DRY: N_("dry"),
    EquipmentClass.REEFER: N_("reefer"),
    EquipmentClass.SPECIAL: N_("special"),
    EquipmentClass.TANK: N_("tank"),
}


def rule_text(rule: Rule, _: Gettext) -> str:
    """The rule applied, escaped: the port's tariff or the customer's agreement, by its reference."""
    name = _("agreement {reference}") if rule.agreement else _("port tariff {reference}")
    return name.format(reference=html.escape(rule.reference))


def equipment_text(equipment: Equipment, _: Gettext) -> str:
    return _("{size}' {kind}").format(size=equipment.size.value, kind=_(EQUIPMENT_NAMES[equipment.kind]))


def free_days_text(free_days: int, basis: Basis, ngettext: Ngettext) -> str:
    if basis is Basis.WORKING:
        return ngettext("{count} working day", "{count} working days", free_days).format(count=free_days)
    return ngettext("{count} calendar day", "{count} calendar days", free_days).format(count=free_days)
