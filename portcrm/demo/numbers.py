"""Identifiers that pass the same checks as real ones, so the demo exercises the validators it will meet."""

from __future__ import annotations

import random

from stdnum import iso6346
from stdnum.cn import uscc

# Mobile number blocks that phonenumbers knows as mobile: mainland, Hong Kong and Taiwan.
_MAINLAND_BLOCKS = (
    "138",
    "139",
    "135",
    "136",
    "137",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "180",
    "182",
    "183",
    "186",
    "187",
    "188",
    "189",
    "133",
    "153",
    "177",
    "199",
)
_HK_BLOCKS = ("61", "63", "64", "69", "94", "96", "97")
_TW_BLOCKS = ("912", "921", "928", "933", "937", "955", "958", "963", "970", "978", "988")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def mobile(rng: random.Random, region: str = "CN") -> str:
    """A mobile number in E.164 for the region ("CN", "HK" or "TW")."""
    if region == "HK":
        return f"+852{rng.choice(_HK_BLOCKS)}{rng.randrange(10**6):06d}"
    if region == "TW":
        return f"+886{rng.choice(_TW_BLOCKS)}{rng.randrange(10**6):06d}"
    return f"+86{rng.choice(_MAINLAND_BLOCKS)}{rng.randrange(10**8):08d}"


def _organisation_code(rng: random.Random) -> str:
    """Positions 9-17 of a USCC: the old organisation code (GB 11714) with its own check character."""
    body = f"{rng.randrange(10**8):08d}"
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, division: str) -> str:
    """A unified social credit code of an enterprise (登记管理部门 9, 类别 1) registered in `division`."""
    body = f"91{division}{_organisation_code(rng)}"
    return body + uscc.calc_check_digit(body)


def container(rng: random.Random, owner: str) -> str:
    """An ISO 6346 container number of the owner code (equipment category U) with its check digit."""
    body = f"{owner}{rng.randrange(10**6):06d}"
    return body + iso6346.calc_check_digit(body)


def digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))
