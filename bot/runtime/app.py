"""Builds the bot and dispatcher from settings; nothing here is global, main() owns every object."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.utils.i18n import I18n

from bot.delivery import OutboxSender
from bot.handlers import build_root_router
from bot.pipeline import dispatcher_with_pipeline
from bot.pipeline.i18n import build_i18n
from bot.pipeline.inbox import RecordFetched, replay_unhandled
from bot.runtime.heap import freeze_start_up_heap
from bot.runtime.job_child import InChildProcess
from bot.telegram.callback_answers import AnswerInTime, AnswerOnce
from bot.telegram.outgoing import NoteSentTexts
from bot.telegram.retries import RetryHandlerCalls
from bot.telegram.retry_after import KeepOutOfWindows, RetryAfterWindows
from bot.telegram.session import PortSession
from bot.telegram.shared_windows import SharedWindows
from bot.telegram.textless_edits import TextlessEditsResend
from bot.telegram.unchanged_edits import UnchangedEditsSucceed
from bot.ui.menus import install_default_menus
from portcrm.jobs.scheduler import PortScheduler
from portcrm.services.tracking.free_time.tariff_file import load_tariff
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 20.0


def build_bot(settings: Settings) -> Bot:
    session = PortSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(NoteSentTexts())  # only looks: what a handler said, once it is said (forms' questions)
    session.middleware(RetryHandlerCalls())  # a retried edit that had landed is "not modified"
    session.middleware(UnchangedEditsSucceed())
    session.middleware(TextlessEditsResend())
    session.middleware(AnswerOnce())
    # innermost: sees every request that goes out, and every 429
    windows = RetryAfterWindows(per_second=settings.telegram_rate)
    if settings.redis_url:  # several instances: each one's 429s hold the others too
        windows.shared = SharedWindows.from_url(settings.redis_url, settings.require_token().split(":")[0])
        session.on_close.append(windows.shared.close)
    session.middleware(KeepOutOfWindows(windows))
    return Bot(
        settings.require_token(), session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


def build_dispatcher(db: Database, settings: Settings, i18n: I18n, *, polling: bool = False) -> Dispatcher:
    """`polling`: this process long-polls, and so alone handles the bot's updates (see bot/pipeline)."""
    dispatcher, pipeline = dispatcher_with_pipeline(db, settings, i18n, polling=polling)
    dispatcher["tariff"] = load_tariff(settings.tariff_file)  # a bad tariff file stops start-up here
    inflight, fetched, known = pipeline.inflight, pipeline.fetched, pipeline.known
    dispatcher.include_router(build_root_router())
    dispatcher.callback_query.outer_middleware(AnswerInTime())  # every press answered, in time

    tasks: list[asyncio.Task[None]] = []
    scheduler = PortScheduler(db, settings, runner=InChildProcess(settings))  # jobs' memory leaves with it

    async def on_startup(bot: Bot, webhook: bool = False) -> None:
        me = await bot.get_me()
        log.info("bot @%s (id %s) starting", me.username, me.id)
        for earlier in [m for m in bot.session.middleware if isinstance(m, RecordFetched)]:
            bot.session.middleware.unregister(earlier)  # a bot restarted with another dispatcher
        bot.session.middleware(RecordFetched(db, fetched, known))
        await install_default_menus(bot, i18n)
        if not webhook:  # Telegram redelivers a webhook's unanswered updates itself
            await replay_unhandled(dispatcher, bot, db)
        sender = OutboxSender(db, bot, settings, interval=settings.outbox_poll_seconds)
        tasks.append(asyncio.create_task(sender.run(), name="outbox"))
        if settings.smtp_host:  # mail to customers through the port's relay (portcrm/mail/sender.py)
            from portcrm.mail.sender import MailSender

            tasks.append(asyncio.create_task(MailSender(db, settings).run(), name="mail-outbox"))
        if (
            settings.edi_drop_dir is not None
        ):  # terminals' EDIFACT files (portcrm/feeds/edifact/dropfolder.py)
            from portcrm.feeds.edifact.dropfolder import DropFolder

            tasks.append(asyncio.create_task(DropFolder(db, settings).run(), name="edi-drop-folder"))
        if settings.run_scheduler:
            await scheduler.start()

    async def on_shutdown() -> None:
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                await inflight.drained()
        except TimeoutError:
            log.warning("shutting down with updates still being handled")
        scheduler.shutdown()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    dispatcher.startup.register(on_startup)
    dispatcher.shutdown.register(on_shutdown)
    return dispatcher


async def run_polling(settings: Settings, *, handle_signals: bool = True) -> None:
    db = Database(settings.database_url)
    bot = build_bot(settings)
    dispatcher = build_dispatcher(db, settings, build_i18n(settings), polling=True)
    try:
        async with contextlib.AsyncExitStack() as serving:
            if settings.feed_listen:  # its server (aiohttp.web, 2 MB) is imported only when it serves
                from portcrm.feeds.dcsa.receiver import feed_server

                await serving.enter_async_context(feed_server(db, settings))
            if settings.mail_listen:  # the complaint mailbox's SMTP receiver (aiosmtpd), on this loop
                from portcrm.mail.receiver import mail_server

                await serving.enter_async_context(mail_server(db, settings))
            await bot.delete_webhook(drop_pending_updates=False)
            log.debug("%d start-up objects frozen", freeze_start_up_heap())
            await dispatcher.start_polling(bot, handle_signals=handle_signals, close_bot_session=True)
    finally:
        await db.dispose()
