"""Credit desk: /credit (rating, limits, exposure per currency) and /limit, which asks before a limit below
the exposure."""

from __future__ import annotations

import datetime as dt
import html
import uuid
from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_percent
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer
from bot.ui.callbacks.finance import LimitConfirm, RatingChoice
from bot.ui.keyboards.finance import limit_confirm_keyboard, rating_keyboard
from portcrm.enums import Role
from portcrm.importing.values import parse_currency, parse_quantity
from portcrm.services.identity.users import Identity
from portcrm.services.receivables.balance import Exposure
from portcrm.services.receivables.credit import CreditCard, LimitChange, credit_card, set_limit, set_rating
from portcrm.services.receivables.ledger import fit, money
from portcrm.settings import Settings

PENDING = "limit"


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


def _used(exposure: Exposure, locale: str) -> str:
    """The share of the limit in use ("85%"); a zero limit with anything outstanding is simply exceeded."""
    if exposure.used is not None:
        return format_percent(exposure.used, locale=locale)
    return _("over the limit") if exposure.over else format_percent(0, locale=locale)


def exposure_line(exposure: Exposure, locale: str) -> str:
    outstanding = money(exposure.outstanding, exposure.currency, locale)
    if exposure.limit is None:
        return _("• {currency}: exposure {outstanding} · no limit in this currency").format(
            currency=exposure.currency, outstanding=outstanding
        )
    line = _("• {currency}: exposure {outstanding} · limit {limit} · {used} used").format(
        currency=exposure.currency,
        outstanding=outstanding,
        limit=money(exposure.limit, exposure.currency, locale),
        used=_used(exposure, locale),
    )
    return line + (" ⚠️" if exposure.over else "")


def credit_text(card: CreditCard, locale: str) -> str:
    lines = [
        f"<b>{html.escape(card.code)} {html.escape(card.name)}</b>",
        _("Credit rating: {rating}").format(rating=card.rating or "—"),
        "",
        _("<b>Exposure</b> (open invoices, per currency)"),
    ]
    lines += [exposure_line(exposure, locale) for exposure in card.exposures] or [_("No open invoices.")]
    lines += ["", _("<b>Credit limits</b> (newest first)")]
    lines += [
        _("{amount} from {date}{reason}").format(
            amount=money(limit.amount, limit.currency, locale),
            date=limit.effective_from.isoformat(),
            reason=f" — {html.escape(limit.reason)}" if limit.reason else "",
        )
        for limit in card.limits
    ] or [_("No credit limit set.")]
    lines += [
        "",
        _("Choose a new rating below, or set a limit with /limit {code} AMOUNT [CURRENCY] [reason]").format(
            code=html.escape(card.code)
        ),
    ]
    return fit(lines)


async def credit(
    message: Message, command: CommandObject, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    code = (command.args or "").strip()
    if not code:
        await message.answer(_("Usage: /credit CUSTOMER_CODE"))
        return
    card = await credit_card(session, code, _today(settings))
    await message.answer(credit_text(card, identity.locale), reply_markup=rating_keyboard(card.customer_id))


async def rating_chosen(
    query: CallbackQuery, callback_data: RatingChoice, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    customer = await set_rating(
        session, callback_data.customer_id, callback_data.rating, staff_id=identity.staff_id
    )
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("Credit rating of {company} set to {rating}.").format(
                company=html.escape(customer.name), rating=callback_data.rating.value
            )
        )


def _figures(change: LimitChange, locale: str) -> dict[str, str]:
    return {
        "company": html.escape(change.customer.name),
        "limit": money(change.amount, change.currency, locale),
        "exposure": money(change.exposure.outstanding, change.currency, locale),
        "used": _used(change.exposure, locale),
    }


def limit_set_text(change: LimitChange, locale: str) -> str:
    assert change.limit is not None
    text = _("Credit limit of {company} set to {amount} from {date}.").format(
        company=html.escape(change.customer.name),
        amount=money(change.limit.amount, change.limit.currency, locale),
        date=change.limit.effective_from.isoformat(),
    )
    if change.below_exposure:
        warning = _(
            "⚠️ {company} is over this limit at once: {exposure} is outstanding, {used} of the limit {limit}."
        )
    else:
        warning = _("Exposure now: {exposure}, {used} of the limit.")
    return text + "\n" + warning.format(**_figures(change, locale))


async def limit(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    state: FSMContext,
    identity: Identity,
    settings: Settings,
) -> None:
    args = (command.args or "").split()
    if len(args) < 2:
        await message.answer(_("Usage: /limit CUSTOMER_CODE AMOUNT [CURRENCY] [reason]"))
        return
    code, raw_amount, rest = args[0], args[1], args[2:]
    amount = parse_quantity(raw_amount)
    currency = None
    if rest and len(rest[0]) == 3 and rest[0].isalpha():
        currency, rest = parse_currency(rest[0]), rest[1:]
    assert identity.staff_id is not None
    reason = " ".join(rest) or None
    change = await set_limit(
        session, code, amount, currency, reason, staff_id=identity.staff_id, today=_today(settings)
    )
    if change.limit is not None:
        await message.answer(limit_set_text(change, identity.locale))
        return
    key = uuid.uuid4().hex[:12]
    pending = {"key": key, "code": code, "amount": str(amount), "currency": change.currency, "reason": reason}
    await state.update_data({PENDING: pending})
    text = _(
        "⚠️ The new limit {limit} is below what {company} owes now: {exposure} is outstanding, "
        "{used} of the new limit. The customer would be over the limit at once. Set it anyway?"
    ).format(**_figures(change, identity.locale))
    await message.answer(text, reply_markup=limit_confirm_keyboard(key))


async def limit_confirmed(
    query: CallbackQuery,
    callback_data: LimitConfirm,
    session: AsyncSession,
    state: FSMContext,
    identity: Identity,
    settings: Settings,
) -> None:
    pending = (await state.get_data()).get(PENDING) or {}
    if pending.get("key") != callback_data.key:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await state.update_data({PENDING: None})
    await answer(query)
    if not callback_data.go:
        text = _("Cancelled. The credit limit was not changed.")
    else:
        assert identity.staff_id is not None
        change = await set_limit(
            session,
            pending["code"],
            Decimal(pending["amount"]),
            pending["currency"],
            pending["reason"],
            staff_id=identity.staff_id,
            today=_today(settings),
            confirmed=True,
        )
        text = limit_set_text(change, identity.locale)
    if isinstance(query.message, Message):
        await query.message.edit_text(text)


def build_router() -> Router:
    """Finance department and managers."""
    router = Router(name=__name__)
    allowed = HasRole(Role.FINANCE, Role.MANAGER)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(credit, Command("credit"))
    router.message.register(limit, Command("limit"))
    router.callback_query.register(rating_chosen, RatingChoice.filter())
    router.callback_query.register(limit_confirmed, LimitConfirm.filter())
    return router
