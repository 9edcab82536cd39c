"""The lines a customer's statement shares in chat and by mail: each open invoice, the totals, whom to ask.

`escape` is `html.escape` for the chat (Telegram HTML) and `str` for a plain-text mail; `warn` marks an
overdue invoice where the medium can show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from portcrm.i18n import translation
from portcrm.models import Staff
from portcrm.services.receivables.balance import Balance, OpenInvoice
from portcrm.services.receivables.ledger import day, money

Escape = Callable[[str], str]


def invoice_line(invoice: OpenInvoice, as_of: dt.date, locale: str, escape: Escape, warn: str = "") -> str:
    catalog = translation(locale)
    _, ngettext = catalog.gettext, catalog.ngettext
    line = _("• {number} — due {date} — {amount}").format(
        number=escape(invoice.number),
        date=day(invoice.due_on, locale),
        amount=money(invoice.outstanding, invoice.currency, locale),
    )
    days_left = (invoice.due_on - as_of).days
    if invoice.days_overdue:
        overdue = ngettext("{days} day overdue", "{days} days overdue", invoice.days_overdue)
        return line + " — " + warn + overdue.format(days=invoice.days_overdue)
    if days_left:
        due_in = ngettext("due in {days} day", "due in {days} days", days_left)
        return line + " — " + due_in.format(days=days_left)
    return line + " — " + _("due today")


def total_lines(balance: Balance, locale: str) -> list[str]:
    """One line per currency: what is outstanding, and how much of it is overdue."""
    _ = translation(locale).gettext
    lines = []
    for total in balance.totals:
        line = "• " + money(total.outstanding, total.currency, locale)
        if total.overdue:
            line += " " + _("(overdue: {amount})").format(amount=money(total.overdue, total.currency, locale))
        lines.append(line)
    return lines


def questions_line(manager: Staff | None, locale: str, escape: Escape) -> str:
    """Whom to ask: the account manager (with their phone when known), else the finance department."""
    _ = translation(locale).gettext
    if manager is None:
        return _("Questions? Please contact our finance department.")
    if manager.phone:
        ask = _("Questions? Please contact your account manager {name} ({phone}).")
        return ask.format(name=escape(manager.name), phone=escape(manager.phone))
    return _("Questions? Please contact your account manager {name}.").format(name=escape(manager.name))
