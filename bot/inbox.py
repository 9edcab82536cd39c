"""Every update is written down before it is handled, and replayed after a crash (see portcrm/inbox.py).

Long polling: `RecordFetched` writes each fetched batch inside the getUpdates call itself, before the
dispatcher sees it, so the batch is written before the next getUpdates confirms it to Telegram. Webhook:
`HandleOnce` writes the update before handling it, and Telegram's update is answered only afterwards.
Either way `HandleOnce` skips an update handled already, and marks it handled when its handler is done,
whether it returned or raised (the error handler then apologises with an incident number, which answers
it). What stays unhandled is exactly what a crash cut off. With long polling the next start replays
it (only one process may poll a bot, so nobody else is handling it); a webhook instance never answered
it, so Telegram delivers it again to whichever instance is up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import TelegramObject, Update

from portcrm import inbox
from portcrm.db import Database

log = logging.getLogger(__name__)


def as_json(update: Update) -> dict[str, Any]:
    """Telegram's own JSON for an update, which `Update.model_validate` reads back."""
    return update.model_dump(mode="json", by_alias=True, exclude_none=True)


class RecordFetched(BaseRequestMiddleware):
    """A Bot API session middleware: a fetched batch is written before getUpdates returns it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        result = await make_request(bot, method)
        if isinstance(method, GetUpdates) and result:
            async with self.db.session() as session:
                await inbox.record(session, [as_json(update) for update in result])
        return result


class HandleOnce(BaseMiddleware):
    """An outer update middleware: each update_id is handled once, and marked when it has been."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        async with self.db.session() as session:
            if not await inbox.begin(session, event.update_id, as_json(event)):
                return None
        try:
            return await handler(event, data)
        finally:
            async with self.db.session() as session:
                await inbox.finish(session, event.update_id)


async def replay_unhandled(dispatcher: Dispatcher, bot: Bot, db: Database) -> int:
    """Handle, in order, the updates a crash cut off; returns how many were replayed."""
    async with db.session() as session:
        payloads = await inbox.unhandled(session)
    for payload in payloads:
        update = Update.model_validate(payload, context={"bot": bot})
        log.warning("replaying update %s, cut off before it was handled", update.update_id)
        try:
            await dispatcher.feed_update(bot, update)
        except Exception:  # counted as an attempt by HandleOnce; the others still get their turn
            log.exception("replaying update %s failed", update.update_id)
    return len(payloads)
