"""Webhook mode: Telegram POSTs each update to a URL, and any number of instances behind it can answer.

An update is handled before the answer goes back (aiogram's `handle_in_background=False`): Telegram
redelivers anything that was not answered 2xx, so an instance that dies mid-update loses nothing. An update
that cannot be written down, or whose handler fails on the database being unreachable or locked, answers
500 too, until its last attempt (`portcrm.messaging.inbox.MAX_ATTEMPTS`), which is apologised for and answered
200, so a bad update cannot come back forever (see bot/pipeline/inbox.py). Telegram may deliver one update
to two instances at nearly the same moment (a redelivery racing the first attempt): the first to claim it
handles it, and the other answers 500 while that claim is live, so that Telegram delivers it again and
the next delivery finds it handled (or, if the holder died, takes it once its claim has lapsed).
Every request must carry the secret token set with `setWebhook`, so nobody else can feed the bot updates.
The secret comes from `PORTCRM_WEBHOOK_SECRET`, or is derived from the bot token so that every instance
of one bot agrees on it without more configuration. Instances share the database (PostgreSQL) and, for
conversation state and per-chat locks, Redis; the outbox and scheduled jobs are claimed in the database,
so N instances send each notification once and run each period once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy import text

from bot.pipeline.i18n import build_i18n
from bot.pipeline.inbox import TELEGRAM_REDELIVERS
from bot.pipeline.redelivery import noting_redeliveries
from bot.runtime.app import build_bot, build_dispatcher
from bot.runtime.heap import freeze_start_up_heap
from bot.runtime.webhook_settings import webhook_path, webhook_secret
from portcrm.feeds.dcsa.receiver import add_feed_routes
from portcrm.settings import Listen, Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)
HEALTH_PATH = "/healthz"


class AnswerRedeliveries(SimpleRequestHandler):
    """aiogram's webhook handler; an update left for Telegram to deliver again is answered 500 (see
    bot/pipeline/redelivery.py), with no traceback: the reason was logged in one line."""

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        with noting_redeliveries() as left:
            answer = await super()._handle_request(bot, request)
        if left:
            return web.Response(status=500, text="left for Telegram to deliver again")
        return answer


def build_webhook_app(
    dispatcher: Dispatcher,
    bot: Bot,
    db: Database,
    *,
    path: str,
    secret: str,
    settings: Settings | None = None,
) -> web.Application:
    """The aiohttp application of one instance: the webhook route, a health check, the bot's lifecycle,
    and with `settings` the feed receivers (portcrm/feeds), which share this server."""
    app = web.Application()
    if settings is not None:
        add_feed_routes(app, db, settings)
    AnswerRedeliveries(
        dispatcher, bot, secret_token=secret, handle_in_background=False, **{TELEGRAM_REDELIVERS: True}
    ).register(app, path)

    async def health(_: web.Request) -> web.Response:
        """For the load balancer: this instance answers and reaches its database."""
        try:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: the database is unreachable")
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    app.router.add_get(HEALTH_PATH, health)
    setup_application(app, dispatcher, bot=bot, webhook=True)
    return app


@contextlib.asynccontextmanager
async def serving(settings: Settings, url: str, listen: Listen) -> AsyncIterator[int]:
    """Run one instance and yield its port: set the webhook (every instance sets the same), serve, stop."""
    db = Database(settings.database_url)
    bot = build_bot(settings)
    dispatcher = build_dispatcher(db, settings, build_i18n(settings))
    secret = webhook_secret(settings)
    runner = web.AppRunner(
        build_webhook_app(dispatcher, bot, db, path=webhook_path(url), secret=secret, settings=settings),
        access_log=None,
    )
    await runner.setup()
    mailbox = contextlib.AsyncExitStack()
    try:
        if settings.mail_listen:  # the complaint mailbox's SMTP receiver; several instances need one
            # address each (the relay may list them all: whichever takes a mail, it is taken once)
            from portcrm.mail.receiver import mail_server

            await mailbox.enter_async_context(mail_server(db, settings))
        site = web.TCPSite(runner, listen.host, listen.port)
        await site.start()
        port = runner.addresses[0][1]
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook instance listening on %s:%s for %s", listen.host, port, url)
        yield port
    finally:
        await mailbox.aclose()
        await runner.cleanup()  # runs the dispatcher's shutdown: waits for updates in flight
        await dispatcher.storage.close()
        await bot.session.close()
        await db.dispose()


async def run_webhook(settings: Settings, url: str, listen: Listen) -> None:
    """`portcrm run --webhook URL`: serve until SIGINT or SIGTERM; the webhook stays set for the others."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with serving(settings, url, listen):
        log.debug("%d start-up objects frozen", freeze_start_up_heap())
        await stop.wait()
