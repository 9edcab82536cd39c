"""A box's length and class of equipment, which decide its tariff line, from its ISO 6346 size-type code.

ISO 6346 writes the length in the code's first character (2 = 20 ft, 4 = 40 ft, L = 45 ft), the height in
the second and the type group in the third (22G1, 45R1, L5G1). Tariffs price by length (20', 40', 45') and
by class of equipment, which groups the type groups by what they cost the terminal to hold:

- dry: G general purpose, V ventilated, B dry bulk: the ordinary box, stacked anywhere;
- reefer: R thermal with machinery (refrigerated or heated) and H thermal insulated: they need a powered
  plug, which is scarce, so they get fewer free days and dearer days;
- special: U open top, P platform and flat rack, S named cargo (car carriers, livestock): often out of gauge,
  stowed apart and handled with special gear;
- tank: T tanks: liquids and gases, kept in a separate, often dangerous-goods, area.

The yard's shorthand that files still carry (20GP, 40HC, 40RF, 40OT) is read too. Anything else (a 10 ft or
48 ft box, a code we cannot read) has no tariff line: its card says so rather than guess a price.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Size(enum.StrEnum):
    FT20 = "20"
    FT40 = "40"
    FT45 = "45"


class EquipmentClass(enum.StrEnum):
    DRY = "dry"
    REEFER = "reefer"
    SPECIAL = "special"
    TANK = "tank"


@dataclass(frozen=True, slots=True)
class Equipment:
    size: Size
    kind: EquipmentClass


_LENGTHS = {"2": Size.FT20, "4": Size.FT40, "L": Size.FT45}
_TYPE_GROUPS = {
    "G": EquipmentClass.DRY,
    "V": EquipmentClass.DRY,
    "B": EquipmentClass.DRY,
    "R": EquipmentClass.REEFER,
    "H": EquipmentClass.REEFER,
    "U": EquipmentClass.SPECIAL,
    "P": EquipmentClass.SPECIAL,
    "S": EquipmentClass.SPECIAL,
    "T": EquipmentClass.TANK,
}
_SHORTHAND_LENGTHS = {"20": Size.FT20, "40": Size.FT40, "45": Size.FT45}
_SHORTHAND_TYPES = {
    **dict.fromkeys(("GP", "DC", "DV", "HC", "HQ", "ST"), EquipmentClass.DRY),
    **dict.fromkeys(("RF", "RE", "RH", "RQ"), EquipmentClass.REEFER),
    **dict.fromkeys(("OT", "FR", "FL", "PL", "PF"), EquipmentClass.SPECIAL),
    **dict.fromkeys(("TK", "TN"), EquipmentClass.TANK),
}


def equipment_of(size_type: str | None) -> Equipment | None:
    """The length and class a size-type code names, or None when it names none we price."""
    code = (size_type or "").strip().upper().replace(" ", "")
    if len(code) != 4:
        return None
    if code[:2] in _SHORTHAND_LENGTHS and code[2:] in _SHORTHAND_TYPES:  # 40HC: a 40 ft high cube
        return Equipment(_SHORTHAND_LENGTHS[code[:2]], _SHORTHAND_TYPES[code[2:]])
    # a type code (45R1: digit last) or a type group code (45RT: two letters); 45 is then 40 ft, 9'6" high
    if code[0] in _LENGTHS and code[1].isalnum() and code[2] in _TYPE_GROUPS and code[3].isalnum():
        return Equipment(_LENGTHS[code[0]], _TYPE_GROUPS[code[2]])
    return None
