"""/balance: the company's open invoices, totals per currency and available credit, in the user's locale; its
button sends the statement of account as an .xlsx file."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date
from babel.numbers import format_currency
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui.button_replies import answer
from bot.ui.callbacks.account import StatementFile
from bot.ui.documents import send_workbook
from bot.ui.keyboards.account import balance_keyboard
from portcrm.services.identity.users import Identity
from portcrm.services.receivables.balance import Balance, OpenInvoice, customer_balance
from portcrm.services.receivables.statement import PAYMENT_DAYS, statement
from portcrm.settings import Settings

MAX_MESSAGE = 4096


def money(amount: Decimal, currency: str, locale: str) -> str:
    return html.escape(format_currency(amount, currency, locale=locale))


def _day(value: dt.date, locale: str) -> str:
    return format_date(value, format="medium", locale=locale)


def _invoice_line(invoice: OpenInvoice, locale: str) -> str:
    line = _("• {number} — due {date} — {amount}").format(
        number=html.escape(invoice.number),
        date=_day(invoice.due_on, locale),
        amount=money(invoice.outstanding, invoice.currency, locale),
    )
    if invoice.days_overdue:
        overdue = ngettext("{days} day overdue", "{days} days overdue", invoice.days_overdue)
        line += " — ⚠️ " + overdue.format(days=invoice.days_overdue)
    return line


def balance_text(balance: Balance, locale: str) -> str:
    lines = [
        _("<b>Balance of {company}</b> as of {date}").format(
            company=html.escape(balance.customer_name), date=_day(balance.as_of, locale)
        ),
        "",
    ]
    if not balance.invoices:
        lines.append(_("You have no open invoices."))
    else:
        lines.append(_("<b>Open invoices</b> (oldest due first)"))
        lines += [_invoice_line(invoice, locale) for invoice in balance.invoices]
        if balance.more:
            lines.append(_("… and {count} more").format(count=balance.more))
        lines += ["", _("<b>Total outstanding</b>")]
        for total in balance.totals:
            line = "• " + money(total.outstanding, total.currency, locale)
            if total.overdue:
                line += " " + _("(overdue: {amount})").format(
                    amount=money(total.overdue, total.currency, locale)
                )
            lines.append(line)
    lines.append("")
    credit = balance.credit
    if credit is None:
        lines.append(_("No credit limit is set for your company."))
    else:
        lines.append(_("Credit limit: {amount}").format(amount=money(credit.limit, credit.currency, locale)))
        available = _("Available credit: {amount}").format(
            amount=money(credit.available, credit.currency, locale)
        )
        if credit.available < 0:
            available += " " + _("(over the limit)")
        lines.append(available)
        if any(total.currency != credit.currency for total in balance.totals):
            lines.append(
                _("Amounts in other currencies are listed separately and not counted against the limit.")
            )
    return _fit(lines)


def _fit(lines: list[str]) -> str:
    """Telegram's 4096-character limit: drop trailing lines for an ellipsis in the unlikely overflow."""
    text = "\n".join(lines)
    while len(text) > MAX_MESSAGE and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text


async def balance(message: Message, session: AsyncSession, identity: Identity, settings: Settings) -> None:
    assert identity.customer_id is not None  # the customer router's filter guarantees it
    today = dt.datetime.now(settings.tz).date()
    result = await customer_balance(session, identity.customer_id, today)
    await message.answer(balance_text(result, identity.locale), reply_markup=balance_keyboard())


async def statement_file(
    query: CallbackQuery, session: AsyncSession, identity: Identity, settings: Settings, bot: Bot
) -> None:
    assert identity.customer_id is not None  # the customer router's filter guarantees it
    today = dt.datetime.now(settings.tz).date()
    found = await statement(session, identity.customer_id, today)
    await answer(query)
    caption = _(
        "Statement of account of {company} as of {date}: {invoices} open invoice(s), "
        "payments of the last {days} days."
    ).format(
        company=html.escape(found.name),
        date=_day(today, identity.locale),
        invoices=found.open_invoices,
        days=PAYMENT_DAYS,
    )
    code = re.sub(r"[^A-Za-z0-9_.-]", "-", found.code)  # a code may hold a slash
    name = _("statement-{code}-{date}.xlsx").format(code=code, date=today.isoformat())
    await send_workbook(bot, query.from_user.id, found.sheets, name, caption, settings.tz)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(balance, Command("balance"))
    router.callback_query.register(statement_file, StatementFile.filter())
    return router
