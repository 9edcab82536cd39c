"""Validation and normal forms of the identifiers the port deals in, via python-stdnum and phonenumbers."""

from __future__ import annotations

import re

import phonenumbers
from stdnum import imo, iso6346
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from portcrm.errors import N_, InvalidInput

_SEPARATORS = re.compile(r"[\s\-./]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_uscc(raw: str) -> str:
    """Unified social credit code (统一社会信用代码), check character verified."""
    try:
        return str(uscc.validate(raw))
    except StdnumError:
        raise InvalidInput(N_("Invalid unified social credit code: {value}"), value=raw) from None


def normalise_container(raw: str) -> str:
    """ISO 6346 container number; stdnum's compact() keeps hyphens, so strip separators first."""
    value = _SEPARATORS.sub("", raw).upper()
    try:
        return str(iso6346.validate(value))
    except StdnumError:
        raise InvalidInput(
            N_("Invalid container number (ISO 6346 check digit): {value}"), value=raw
        ) from None


def looks_like_container(raw: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{4}\d{7}", _SEPARATORS.sub("", raw).upper()))


def normalise_imo(raw: str) -> tuple[str, bool]:
    """IMO number and whether its check digit holds: many real ships fail it, so callers warn, not reject."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) != 7:
        raise InvalidInput(N_("Invalid IMO number: {value}"), value=raw)
    return digits, imo.is_valid(digits)


def normalise_phone(raw: str, region: str = "CN") -> str:
    """A phone number in E.164; numbers without a country code are read as Chinese."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(N_("Invalid phone number: {value}"), value=raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(N_("Invalid phone number: {value}"), value=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    value = raw.strip()
    if not _EMAIL.match(value):
        raise InvalidInput(N_("Invalid email address: {value}"), value=raw)
    return value.lower()


def normalise_reference(raw: str) -> str:
    """B/L numbers and booking refs: upper case without blanks."""
    value = re.sub(r"\s", "", raw).upper()
    if not re.fullmatch(r"[A-Z0-9\-/]{4,32}", value):
        raise InvalidInput(N_("Invalid B/L or booking number: {value}"), value=raw)
    return value
