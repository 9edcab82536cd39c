"""Finance desk: /overdue (ageing, buckets, ledger export, legal marks) and /payment; credit: credit.py."""

from __future__ import annotations

import datetime as dt
import html
import uuid
from decimal import Decimal

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.errors import Reply, on_refusal
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer
from bot.ui.callbacks.finance import LedgerExport, LegalMark, OverdueBucket, PaymentConfirm
from bot.ui.documents import send_workbook
from bot.ui.keyboards.finance import (
    bucket_keyboard,
    legal_confirm_keyboard,
    overdue_keyboard,
    payment_confirm_keyboard,
)
from portcrm.enums import Role
from portcrm.importing.values import parse_amount, parse_currency
from portcrm.services.identity.users import Identity
from portcrm.services.receivables.ageing import ageing, bucket_page, ledger_rows
from portcrm.services.receivables.export import BUCKET_NAMES, ledger_sheets
from portcrm.services.receivables.ledger import fit, money
from portcrm.services.receivables.legal import mark_legal
from portcrm.services.receivables.payments import new_reference, payment_preview, record_payment
from portcrm.settings import Settings

PENDING = "payment"


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


def _amounts(totals: dict[str, Decimal], locale: str) -> str:
    return ", ".join(money(amount, code, locale) for code, amount in totals.items()) or "—"


async def overdue(message: Message, session: AsyncSession, identity: Identity, settings: Settings) -> None:
    report = await ageing(session, _today(settings))
    lines = [_("<b>Overdue receivables</b> as of {date}").format(date=report.as_of.isoformat()), ""]
    for summary in report.buckets:
        lines.append(
            _("{bucket}: {count} invoice(s), {totals}").format(
                bucket=_(BUCKET_NAMES[summary.bucket]),
                count=summary.count,
                totals=_amounts(summary.totals, identity.locale),
            )
        )
    lines += ["", _("<b>Largest overdue customers</b>")]
    lines += [
        f"{html.escape(d.code)} {html.escape(d.name)}: {_amounts(d.totals, identity.locale)}"
        for d in report.debtors
    ] or [_("None overdue.")]
    await message.answer(fit(lines), reply_markup=overdue_keyboard(report))


async def bucket_list(
    query: CallbackQuery,
    callback_data: OverdueBucket,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    page = await bucket_page(session, _today(settings), callback_data.bucket, callback_data.page)
    lines = [
        _("<b>{bucket} overdue</b> · page {page} of {pages}").format(
            bucket=_(BUCKET_NAMES[page.bucket]), page=page.page + 1, pages=page.pages
        )
    ]
    for row in page.rows:
        legal = " ⚖️" if row.legal_action_since else ""
        lines.append(
            _("{number} · {company} · {outstanding} · due {due} ({days} days){legal}").format(
                number=html.escape(row.number),
                company=html.escape(row.customer_name),
                outstanding=money(row.outstanding, row.currency, identity.locale),
                due=row.due_on.isoformat(),
                days=row.days_overdue,
                legal=legal,
            )
        )
    if not page.rows:
        lines.append(_("None overdue."))
    await answer(query)
    assert query.bot is not None
    await query.bot.send_message(query.from_user.id, fit(lines), reply_markup=bucket_keyboard(page))


async def export(query: CallbackQuery, session: AsyncSession, settings: Settings, bot: Bot) -> None:
    today = _today(settings)
    rows = await ledger_rows(session, today)
    await answer(query)
    caption = _("Receivables ledger as of {date}: {count} open invoice(s).").format(
        date=today.isoformat(), count=len(rows)
    )
    name = f"receivables-{today.isoformat()}.xlsx"
    await send_workbook(bot, query.from_user.id, ledger_sheets(rows), name, caption, settings.tz)


async def legal(
    query: CallbackQuery,
    callback_data: LegalMark,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    if not callback_data.confirmed:
        await answer(query)
        await bot.send_message(
            query.from_user.id,
            _("Mark this invoice for legal action? Managers and finance will be told."),
            reply_markup=legal_confirm_keyboard(callback_data.invoice_id),
        )
        return
    assert identity.staff_id is not None
    invoice = await mark_legal(
        session,
        callback_data.invoice_id,
        staff_id=identity.staff_id,
        today=_today(settings),
        settings=settings,
    )
    await answer(query)
    text = _(
        "Invoice {number} is marked for legal action since {date}; managers and finance are told."
    ).format(number=html.escape(invoice.number), date=invoice.legal_action_since)
    if isinstance(query.message, Message):
        await query.message.edit_text(text)


async def payment(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    state: FSMContext,
    identity: Identity,
    settings: Settings,
) -> None:
    args = (command.args or "").split()
    usage = _("Usage: /payment INVOICE_NUMBER AMOUNT [CURRENCY] [REFERENCE]")
    if len(args) < 2:
        await message.answer(usage)
        return
    number, raw_amount, rest = args[0], args[1], args[2:]
    currency = None
    amount = parse_amount(raw_amount)
    if rest and len(rest[0]) == 3 and rest[0].isalpha():
        currency, rest = parse_currency(rest[0]), rest[1:]
    preview = await payment_preview(session, number)
    reference = " ".join(rest) or new_reference(_today(settings))
    key = uuid.uuid4().hex[:12]
    pending = {
        "key": key,
        "number": preview.number,
        "amount": str(amount),
        "currency": currency,
        "reference": reference,
    }
    await state.update_data({PENDING: pending})
    await message.answer(
        _(
            "Record a payment of {amount} against invoice {number} of {company} "
            "(outstanding {outstanding})? Reference: {reference}"
        ).format(
            amount=money(amount, currency or preview.currency, identity.locale),
            number=html.escape(preview.number),
            company=html.escape(preview.customer_name),
            outstanding=money(preview.outstanding, preview.currency, identity.locale),
            reference=html.escape(reference),
        ),
        reply_markup=payment_confirm_keyboard(key),
    )


async def payment_confirmed(
    query: CallbackQuery,
    callback_data: PaymentConfirm,
    session: AsyncSession,
    state: FSMContext,
    identity: Identity,
    settings: Settings,
) -> None:
    pending = (await state.get_data()).get(PENDING) or {}
    if pending.get("key") != callback_data.key:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    assert identity.staff_id is not None
    await state.update_data({PENDING: None})
    await answer(query)
    result = await record_payment(
        session,
        pending["number"],
        Decimal(pending["amount"]),
        pending["currency"],
        pending["reference"],
        staff_id=identity.staff_id,
        today=_today(settings),
    )
    outstanding = money(result.outstanding, result.currency, identity.locale)
    text = _("Payment {reference} recorded against invoice {number}. Outstanding now: {outstanding}.").format(
        reference=html.escape(result.reference), number=html.escape(result.number), outstanding=outstanding
    )
    if result.settled:
        text += "\n" + _("The invoice is settled.")
    if isinstance(query.message, Message):
        await query.message.edit_text(text)


def build_router() -> Router:
    """Finance department and managers."""
    router = Router(name=__name__)
    allowed = HasRole(Role.FINANCE, Role.MANAGER)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(overdue, Command("overdue"))
    router.message.register(payment, Command("payment"))
    router.callback_query.register(bucket_list, OverdueBucket.filter())
    router.callback_query.register(export, LedgerExport.filter())
    router.callback_query.register(legal, LegalMark.filter())
    router.callback_query.register(
        payment_confirmed,
        PaymentConfirm.filter(),
        flags=on_refusal(reply=Reply.EDIT, frame=__("Not recorded: {reason}")),  # answered before the service
    )
    return router
