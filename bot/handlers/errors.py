"""A failing handler: a translated apology with an incident id, logged with the same id; the bot goes on.

A failure that may pass reaches here only on the update's last attempt (see bot/pipeline/inbox.py).
"""

from __future__ import annotations

import logging
import uuid

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.pipeline.inbox import Redeliver
from bot.ui.texts import error_text
from portcrm.errors import DomainError

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> None:
    update = event.update
    if isinstance(event.exception, DomainError):
        text = error_text(event.exception)
    else:
        incident = uuid.uuid4().hex[:8].upper()
        log.error("incident %s: update %s failed", incident, update.update_id, exc_info=event.exception)
        text = _(
            "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
        ).format(incident=incident)
    try:
        if update.message is not None:
            await update.message.answer(text)
        elif update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
    except Exception:  # the apology itself may fail (user blocked the bot, Telegram down): log, don't loop
        log.exception("could not deliver the error reply for update %s", update.update_id)


def build_router() -> Router:
    router = Router(name=__name__)
    # an update left for Telegram to deliver again is not answered: the webhook answers 500 instead
    router.errors.register(on_error, ~ExceptionTypeFilter(Redeliver))
    return router
