"""The customer card and /find's result list as HTML text (buttons: keyboards/find.py; history: history.py).

Every database value is escaped and clipped, and every message is cut to Telegram's 4096 characters.
"""

from __future__ import annotations

import html
from decimal import Decimal
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.dates import format_date
from babel.numbers import format_currency

from portcrm.enums import CustomerStatus
from portcrm.labels import (
    CARGO_EVENT_NAMES,
    COMPLAINT_STATUS_NAMES,
    CONTACT_METHOD_NAMES,
    CUSTOMER_TYPE_NAMES,
    GRADE_NAMES,
    person_name,
)
from portcrm.port_time import format_port_time
from portcrm.services.archive.cards import CustomerCard, GradeReason
from portcrm.services.archive.search import CustomerMatch
from portcrm.services.receivables.balance import Balance

MAX_MESSAGE = 4096
_TEXT = 80
_VALUE = 40

STATUS_NAMES = {
    CustomerStatus.ACTIVE: __("Active"),
    CustomerStatus.SUSPENDED: __("Suspended"),
    CustomerStatus.TERMINATED: __("Terminated"),
}


def _clip(text: str, limit: int = _TEXT) -> str:
    """Escaped, and cut with an ellipsis beyond `limit` characters (counted before escaping)."""
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _fit(lines: list[str]) -> str:
    """Drop trailing lines for an ellipsis in the unlikely case the text outgrows one message."""
    text = "\n".join(lines)
    while len(text) > MAX_MESSAGE and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text


def _money(amount: Decimal, currency: str, locale: str) -> str:
    return html.escape(format_currency(amount, currency, locale=locale))


def results_text(query: str, matches: list[CustomerMatch]) -> str:
    if not matches:
        return _(
            "No customer matches “{query}”. Try a code, a name, its pinyin initials or a phone number."
        ).format(query=_clip(query, _VALUE))
    lines = [_("Customers matching “{query}”:").format(query=_clip(query, _VALUE)), ""]
    lines += [f"{n}. <b>{html.escape(m.code)}</b> {_clip(m.name)}" for n, m in enumerate(matches, start=1)]
    lines += ["", _("Press a customer to open the card.")]
    return _fit(lines)


def reason_text(reason: GradeReason) -> str:
    if reason.msgid:
        params = {key: html.escape(str(value)) for key, value in reason.params.items()}
        try:
            return _(reason.msgid).format(**params)
        except (KeyError, IndexError, ValueError):
            pass  # a stored reason that no longer fits its message: the English text still says it
    return _clip(reason.text, 200)


def card_text(card: CustomerCard, tz: ZoneInfo, locale: str) -> str:
    lines = [
        f"🏢 <b>{_clip(card.name)}</b>",
        _("Code: {code}").format(code=f"<code>{_clip(card.code)}</code>"),
    ]
    if card.name_en:
        lines.append(_("English name: {name}").format(name=_clip(card.name_en)))
    lines.append(_("Type: {type}").format(type=html.escape(_(CUSTOMER_TYPE_NAMES[card.type]))))
    lines.append(_("Grade: {grade}").format(grade=f"<b>{html.escape(_(GRADE_NAMES[card.grade]))}</b>"))
    lines += ["  • " + reason_text(reason) for reason in card.grade_reasons]
    lines.append(_("Status: {status}").format(status=html.escape(str(STATUS_NAMES[card.status]))))
    lines.append(_("Account manager: {name}").format(name=_clip(card.account_manager or "—")))
    lines += ["", "<b>" + _("Contacts") + "</b>"]
    for contact in card.contacts:
        name = person_name(contact.name, _)  # an erased person, in words
        parts = [_clip(name)] + [_clip(v) for v in (contact.title, contact.phone) if v]
        lines.append("• " + " · ".join(parts))
    if not card.contacts:
        lines.append(_("No contacts recorded."))
    if card.more_contacts:
        lines.append(_("… and {count} more").format(count=card.more_contacts))
    lines += ["", *_relationship(card, tz, locale)]
    if card.receivables is not None:
        lines += ["", *_receivables(card.receivables, locale)]
    return _fit(lines)


def _relationship(card: CustomerCard, tz: ZoneInfo, locale: str) -> list[str]:
    if card.last_visit:
        visit = card.last_visit
        last = " · ".join(
            [
                format_port_time(visit.occurred_at, tz, locale),
                html.escape(_(CONTACT_METHOD_NAMES[visit.method])),
                _clip(visit.staff_name),
            ]
        )
    else:
        last = _("never")
    lines = [_("Last visit: {visit}").format(visit=last)]
    if card.next_revisit_on:
        day = format_date(card.next_revisit_on, format="medium", locale=locale)
        lines.append(_("Next revisit: {date}").format(date=day))
    lines.append(_("<b>Open complaints</b>: {count}").format(count=card.open_complaints))
    for complaint in card.complaints:
        status = html.escape(_(COMPLAINT_STATUS_NAMES[complaint.status]))
        lines.append(
            f"• {_clip(complaint.ticket)} · {status} · {format_port_time(complaint.created_at, tz, locale)}"
        )
    lines.append(_("<b>Active shipments</b>: {count}").format(count=card.active_shipments))
    for shipment in card.shipments:
        status = html.escape(_(CARGO_EVENT_NAMES[shipment.status]) if shipment.status else _("No status yet"))
        eta = format_port_time(shipment.eta, tz, locale) if shipment.eta else "—"
        lines.append(f"• {_clip(shipment.reference)} · {status} · " + _("ETA {time}").format(time=eta))
    return lines


def _receivables(balance: Balance, locale: str) -> list[str]:
    lines = ["💰 <b>" + _("Receivables") + "</b>"]
    for total in balance.totals:
        lines.append(
            _("Open: {open} · overdue: {overdue}").format(
                open=_money(total.outstanding, total.currency, locale),
                overdue=_money(total.overdue, total.currency, locale),
            )
        )
    if not balance.totals:
        lines.append(_("No open invoices."))
    if balance.credit is None:
        lines.append(_("No credit limit is set."))
    else:
        credit = balance.credit
        lines.append(
            _("Credit limit: {limit} · available: {available}").format(
                limit=_money(credit.limit, credit.currency, locale),
                available=_money(credit.available, credit.currency, locale),
            )
        )
    return lines
