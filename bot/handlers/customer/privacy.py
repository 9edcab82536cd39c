"""/privacy: what the port holds about the person asking, a copy of it as a file, their consent choices, and a
deletion request."""

from __future__ import annotations

import datetime as dt
import html

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui.button_replies import answer, same_markup
from bot.ui.callbacks.privacy import PRIVACY, ConsentToggle, DataCopy, DeletionStep
from bot.ui.documents import send_workbook
from bot.ui.keyboards.language import LANGUAGE_NAMES
from bot.ui.keyboards.privacy import deletion_keyboard, privacy_keyboard
from portcrm.services.identity.users import Identity
from portcrm.services.privacy.copy import personal_data
from portcrm.services.privacy.rights import PrivacyView, privacy_view, request_deletion, set_consent
from portcrm.settings import Settings

_NONE = "—"


def privacy_text(view: PrivacyView, locale: str, settings: Settings) -> str:
    def value(text: str | None) -> str:
        return html.escape(text) if text else _NONE

    birthday = format_date(view.birthday, format="medium", locale=locale) if view.birthday else None
    on, off = _("on"), _("off")
    lines = [
        _("<b>What the port holds about you</b>"),
        _("Name: {value}").format(value=value(view.name)),
        _("Title: {value}").format(value=value(view.title)),
        _("Phone: {value}").format(value=value(view.phone_masked)),
        _("Email: {value}").format(value=value(view.email)),
        _("Birthday: {value}").format(value=value(birthday)),
        # no saved choice: the language we use, taken from their Telegram app
        _("Chat language: {value}").format(value=LANGUAGE_NAMES.get(view.locale or locale, _NONE)),
        _("Company: {value}").format(value=value(view.company)),
        "",
        _("<b>Your choices</b>"),
        _("Festival and birthday greetings: {value}").format(value=on if view.greetings else off),
        _("News and offers: {value}").format(value=on if view.marketing else off),
        *(
            [_("Notices by e-mail instead of chat: {value}").format(value=on if view.by_email else off)]
            if view.email
            else []
        ),
        _("Service messages about your shipments, invoices and complaints are always on."),
    ]
    if view.deletion_requested_at is not None:
        lines += ["", _deletion_pending(view.deletion_requested_at, locale, settings)]
    lines += ["", _("Press a choice below to turn it on or off.")]
    return "\n".join(lines)


def _deletion_pending(requested_at: dt.datetime, locale: str, settings: Settings) -> str:
    day = format_date(requested_at.astimezone(settings.tz).date(), format="medium", locale=locale)
    return _(
        "You asked for your personal data to be deleted on {date}. "
        "The port will handle it within 15 working days of that request."
    ).format(date=day)


async def privacy(message: Message, session: AsyncSession, identity: Identity, settings: Settings) -> None:
    view = await privacy_view(session, identity.telegram_user_id)
    await message.answer(privacy_text(view, identity.locale, settings), reply_markup=privacy_keyboard(view))


async def consent_changed(
    query: CallbackQuery,
    callback_data: ConsentToggle,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    view = await set_consent(session, identity.telegram_user_id, callback_data.consent, callback_data.on)
    await answer(query, _("Saved."))
    markup = privacy_keyboard(view)
    if isinstance(query.message, Message) and not same_markup(query.message.reply_markup, markup):
        await query.message.edit_text(privacy_text(view, identity.locale, settings), reply_markup=markup)


async def data_copy(
    query: CallbackQuery, session: AsyncSession, identity: Identity, settings: Settings, bot: Bot
) -> None:
    sheets = await personal_data(session, identity.telegram_user_id)
    await answer(query)
    today = dt.datetime.now(settings.tz).date()
    caption = _("A copy of the personal data the port holds about you, as of {date}.").format(
        date=format_date(today, format="medium", locale=identity.locale)
    )
    name = _("my-personal-data-{date}.xlsx").format(date=today.isoformat())
    await send_workbook(bot, query.from_user.id, sheets, name, caption, settings.tz)


async def deletion_asked(query: CallbackQuery) -> None:
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Do you want the port to delete your personal data? Staff will then remove or anonymise "
                "it and unlink your Telegram account, and you will no longer get service messages here."
            ),
            reply_markup=deletion_keyboard(),
        )


async def deletion_confirmed(
    query: CallbackQuery, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    if not isinstance(query.message, Message) or query.message.reply_markup is None:
        await answer(query)
        return  # answered already; the buttons are gone
    request = await request_deletion(
        session, identity.telegram_user_id, default_locale=settings.default_locale
    )
    await answer(query)
    if request.created:
        text = _(
            "Your request to delete your personal data has been recorded. "
            "The port will handle it within 15 working days and let you know."
        )
    else:
        text = (
            _deletion_pending(request.requested_at, identity.locale, settings)
            + " "
            + _("Nothing new was recorded.")
        )
    await query.message.edit_text(text)


async def deletion_cancelled(query: CallbackQuery) -> None:
    await answer(query)
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        await query.message.edit_text(_("Cancelled. Nothing was changed."))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(privacy, Command("privacy"))
    router.callback_query.register(consent_changed, ConsentToggle.filter(F.screen == PRIVACY))
    router.callback_query.register(data_copy, DataCopy.filter())
    router.callback_query.register(deletion_asked, DeletionStep.filter(F.step == "ask"))
    router.callback_query.register(deletion_confirmed, DeletionStep.filter(F.step == "yes"))
    router.callback_query.register(deletion_cancelled, DeletionStep.filter(F.step == "no"))
    return router
