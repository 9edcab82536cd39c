"""Pure parsers for the cell values of an import file: each takes stripped, non-empty text or raises.

Identifiers (USCC, container, phone, email, B/L) live in `portcrm.identifiers`; these are the plain types.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from zoneinfo import ZoneInfo

from babel.numbers import list_currencies

from portcrm.errors import N_, InvalidInput
from portcrm.importing.vocabulary import ENUM_TERMS, Terms, folded, lookup

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")
_UNKNOWN = N_("Unknown value {value}; expected one of: {choices}")
_UNKNOWN_OR_CHINESE = N_(
    "Unknown value {value}; expected one of: {choices}, or its Chinese name (docs/import.md)"
)
_CENT = Decimal("0.01")
# Excel with a Chinese locale writes 2026/3/1; an xlsx date cell reads back with a midnight time
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?: 00:00(?::00)?)?")
_DATETIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_./\-]*")
_MONEY_DIGITS = 16  # Numeric(18, 2): 16 digits before the point
_TRUE = frozenset({"1", "true", "yes", "y", "是"})
_FALSE = frozenset({"0", "false", "no", "n", "否"})
_CURRENCY_ALIASES = {"RMB": "CNY", "人民币": "CNY"}


def parse_date(raw: str) -> dt.date:
    match = _DATE.fullmatch(raw)
    try:
        if match is None:
            raise ValueError(raw)
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidInput(N_("Invalid date (expected YYYY-MM-DD): {value}"), value=raw) from None


def datetime_parser(tz: ZoneInfo) -> Callable[[str], dt.datetime]:
    """Local port time as staff write it, stored as aware UTC."""

    def parse(raw: str) -> dt.datetime:
        match = _DATETIME.fullmatch(raw)
        try:
            if match is None:
                raise ValueError(raw)
            local = dt.datetime(*(int(part or 0) for part in match.groups()), tzinfo=tz)
        except ValueError:
            raise InvalidInput(
                N_("Invalid date and time (expected YYYY-MM-DD HH:MM): {value}"), value=raw
            ) from None
        return local.astimezone(dt.UTC)

    return parse


def _decimal(raw: str) -> Decimal:
    if not _NUMBER.fullmatch(raw.lstrip("-")):
        raise InvalidInput(N_("Invalid number: {value}"), value=raw)
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(N_("Invalid number: {value}"), value=raw) from None
    if value.adjusted() >= _MONEY_DIGITS:
        raise InvalidInput(N_("Number too large: {value}"), value=raw)
    if value.quantize(_CENT) != value:
        raise InvalidInput(N_("At most two decimal places are allowed: {value}"), value=raw)
    return value


def parse_amount(raw: str) -> Decimal:
    """Money: exact, positive, cents at most."""
    value = _decimal(raw)
    if value <= 0:
        raise InvalidInput(N_("Amount must be positive: {value}"), value=raw)
    return value


def parse_quantity(raw: str) -> Decimal:
    """Weights and capital: exact and not negative."""
    value = _decimal(raw)
    if value < 0:
        raise InvalidInput(N_("Must not be negative: {value}"), value=raw)
    return value


def parse_count(raw: str) -> int:
    value = _decimal(raw)
    if value < 0 or value != value.to_integral_value():
        raise InvalidInput(N_("Expected a whole number, not negative: {value}"), value=raw)
    return int(value)


def parse_currency(raw: str) -> str:
    """ISO 4217; RMB is how many Chinese spreadsheets write CNY."""
    code = _CURRENCY_ALIASES.get(raw.upper(), raw.upper())
    if len(code) != 3 or code not in list_currencies():
        raise InvalidInput(N_("Unknown currency code (ISO 4217 expected): {value}"), value=raw)
    return code


def parse_bool(raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(N_("Expected yes or no (1/0, true/false, yes/no, 是/否): {value}"), value=raw)


def choice_parser(enum_cls: type[E]) -> Callable[[str], E]:
    """An enum by its stored value (any case), or by one of the Chinese terms of `vocabulary.ENUM_TERMS`."""
    members = {str(member.value): member for member in enum_cls}
    terms = ENUM_TERMS.get(enum_cls, {})
    return _lookup_parser(lookup(members.items(), terms), list(members), chinese=bool(terms))


def term_parser(terms: Mapping[str, Terms], message: str = _UNKNOWN_OR_CHINESE) -> Callable[[str], str]:
    """A code of a column that is not an enum of ours (a language), by the code or a Chinese term."""
    return _lookup_parser(lookup(((code, code) for code in terms), terms), list(terms), message=message)


def coded_text_parser(terms: Mapping[str, Terms], max_length: int) -> Callable[[str], str]:
    """Free text whose usual values (a payment method) are stored as their code, typed so or in Chinese."""
    found = lookup(((code, code) for code in terms), terms)
    as_text = text_parser(max_length)

    def parse(raw: str) -> str:
        return found.get(folded(raw)) or as_text(raw)

    return parse


def _lookup_parser(
    found: Mapping[str, T], codes: list[str], *, chinese: bool = True, message: str = ""
) -> Callable[[str], T]:
    choices = ", ".join(codes)
    message = message or (_UNKNOWN_OR_CHINESE if chinese else _UNKNOWN)

    def parse(raw: str) -> T:
        try:
            return found[folded(raw)]
        except KeyError:
            raise InvalidInput(message, value=raw, choices=choices) from None

    return parse


def code_parser(max_length: int) -> Callable[[str], str]:
    """Customer codes and invoice numbers: compared in upper case, so `c001` finds `C001`."""

    def parse(raw: str) -> str:
        value = raw.upper()
        if len(value) > max_length or not _CODE.fullmatch(value):
            raise InvalidInput(
                N_("Invalid code: {value} (letters, digits and - _ . / up to {max} characters)"),
                value=raw,
                max=max_length,
            )
        return value

    return parse


def text_parser(max_length: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise InvalidInput(
                N_("Text too long: {length} characters, at most {max}"), length=len(raw), max=max_length
            )
        return raw

    return parse
