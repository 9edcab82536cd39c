"""How the report names account managers and currencies: by name in the reader's language, never by id."""

from __future__ import annotations

from collections.abc import Callable

from babel import Locale
from babel.numbers import get_currency_name

from portcrm.i18n import gettext_for
from portcrm.services.reports.figures import Compliance


def manager_name(row: Compliance, gettext: Callable[[str], str]) -> str:
    """The account manager's name; customers without one are grouped as "Unassigned"."""
    if row.staff_id is None:
        return gettext("Unassigned")
    return (row.staff_name or "").strip() or gettext("Account manager without a name")


def currency_name(code: str, locale: str) -> str:
    """ "人民币（CNY）": the currency's name in the reader's language (CLDR, via Babel) and its ISO code."""
    name = get_currency_name(code, locale=Locale.parse(locale))
    _ = gettext_for(locale)
    return code if name == code else _("{name} ({code})").format(name=name, code=code)
