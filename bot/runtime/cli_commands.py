"""Bodies of the `portcrm` commands. Each returns the process exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable

from bot.runtime import cli_desk, cli_feeds, cli_mail
from portcrm.audit import Actor
from portcrm.enums import Role
from portcrm.errors import InvalidInput
from portcrm.labels import role_list
from portcrm.settings import Settings
from portcrm.storage import backup, migrate
from portcrm.storage.db import Database

Gettext = Callable[[str], str]


async def db_upgrade(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    await migrate.upgrade_async(settings.database_url)
    print(_("The database schema is up to date."))
    return 0


async def db_backup(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    path = await backup.backup(settings.database_url, args.path)
    print(_("Backup written to {path}.").format(path=path))
    return 0


async def run(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from bot.runtime.malloc_arenas import limit_malloc_arenas
    from portcrm.services.tracking.free_time.tariff_file import load_tariff

    limit_malloc_arenas()  # before the first thread: the migration's child watcher, aiosqlite's

    token = settings.require_token()
    load_tariff(settings.tariff_file)  # a bad tariff file stops start-up before the migration
    async with migrate.upgrading_in_child(settings.database_url):
        # imported while the child migrates: aiogram's types alone take seconds, and a restarted bot is
        # answering nobody meanwhile
        from bot.runtime.app import run_polling
        from bot.runtime.logs import configure_logging
        from bot.runtime.webhook_settings import webhook_secret

        configure_logging(secrets=[token, webhook_secret(settings), *_mail_secrets(settings)])
    if args.webhook:
        from bot.runtime.webhook import run_webhook  # its server, aiohttp.web, only where it serves

        await run_webhook(settings, args.webhook, args.listen)
    else:
        await run_polling(settings)
    return 0


async def import_file(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    """A file that cannot be read as a table is refused in one line on stderr; a bad row, in a report."""
    from portcrm.importing import import_file as run_import

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            report = await run_import(
                session,
                args.kind,
                args.file,
                actor=Actor(label=f"import:{args.file.name}", source="import"),
                tz=settings.tz,
                default_locale=settings.default_locale,
                default_currency=settings.default_currency,
            )
    except InvalidInput as error:
        reason = _(error.message).format(**error.params)
        print(
            _("Nothing was imported from {path}: {reason}").format(path=args.file, reason=reason),
            file=sys.stderr,
        )
        return 1
    finally:
        await db.dispose()
    for warning in report.warnings:
        print(_("Row {row}: warning: {message}").format(row=warning.row, message=warning.render(_)))
    if not report.ok:
        print(
            _("{path} was rejected and nothing was imported. Problems found: {count}").format(
                path=args.file, count=len(report.errors)
            )
        )
        for error in report.errors:
            with_column = _("Row {row}, column {column}: {message}")
            line = with_column if error.column else _("Row {row}: {message}")
            print(line.format(row=error.row, column=error.column, message=error.render(_)))
        return 1
    print(
        _("{path}: {rows} rows: {created} created, {updated} updated, {unchanged} unchanged.").format(
            path=args.file,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        )
    )
    return 0


async def staff_add(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.services.identity.staff import add_staff

    db = Database(settings.database_url)
    try:
        async with db.session(Actor(label="cli", source="cli")) as session:
            staff = await add_staff(session, args.telegram_id, args.name, {Role(r) for r in args.role})
            roles = role_list(staff.role_set, _, settings.default_locale)
    finally:
        await db.dispose()
    print(
        _("Staff member {name} ({telegram_id}) has roles: {roles}.").format(
            name=args.name, telegram_id=args.telegram_id, roles=roles
        )
    )
    return 0


async def invite(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.services.identity.invites import create_invite, deep_link

    db = Database(settings.database_url)
    try:
        async with db.session(Actor(label="cli", source="cli")) as session:
            created, contact, customer = await create_invite(
                session, args.customer_code, args.contact, ttl=dt.timedelta(days=settings.invite_ttl_days)
            )
    finally:
        await db.dispose()
    username = settings.bot_username or await _bot_username(settings)
    expires = created.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(
        _("One-time invite for {contact} of {customer}, valid until {expires}:").format(
            contact=contact.name, customer=customer.name, expires=expires
        )
    )
    print(deep_link(username, created) if username else f"/start {created.code}")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    """Ask the Bot API for the bot's username when the settings don't name it."""
    if settings.bot_token is None:
        return None
    from bot.runtime.app import build_bot

    bot = build_bot(settings)
    try:
        return (await bot.get_me()).username
    finally:
        await bot.session.close()


async def demo(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from bot.runtime.demo import run_demo

    return await run_demo(args, settings, _)


COMMANDS = {
    "db upgrade": db_upgrade,
    "db backup": db_backup,
    "run": run,
    "import": import_file,
    "staff add": staff_add,
    "invite": invite,
    "demo": demo,
}


async def worker(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    """The scheduler and the outbox sender without the bot's polling: for a second machine or process."""
    import asyncio
    import contextlib

    from bot.delivery import OutboxSender
    from bot.runtime.app import build_bot
    from bot.runtime.job_child import InChildProcess
    from bot.runtime.logs import configure_logging
    from bot.runtime.malloc_arenas import limit_malloc_arenas
    from portcrm.jobs.scheduler import PortScheduler
    from portcrm.services.tracking.free_time.tariff_file import load_tariff

    limit_malloc_arenas()

    configure_logging(secrets=[settings.require_token(), *_mail_secrets(settings)])
    load_tariff(settings.tariff_file)  # a bad tariff file stops start-up, not each hour's run
    await migrate.upgrade_in_child(settings.database_url)
    db = Database(settings.database_url)
    bot = build_bot(settings)
    scheduler = PortScheduler(db, settings, runner=InChildProcess(settings))
    watcher: asyncio.Task[None] | None = None
    mailer: asyncio.Task[None] | None = None
    try:
        if settings.run_scheduler:
            await scheduler.start()
        if settings.edi_drop_dir is not None:  # terminals' EDIFACT files
            from portcrm.feeds.edifact.dropfolder import DropFolder

            watcher = asyncio.create_task(DropFolder(db, settings).run(), name="edi-drop-folder")
        if settings.smtp_host:  # mail to customers (portcrm/mail/sender.py)
            from portcrm.mail.sender import MailSender

            mailer = asyncio.create_task(MailSender(db, settings).run(), name="mail-outbox")
        await OutboxSender(db, bot, settings, interval=settings.outbox_poll_seconds).run()
    except asyncio.CancelledError:
        pass
    finally:
        if mailer is not None:
            mailer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mailer
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher  # a file being taken is rolled back and stays for the next start
        scheduler.shutdown()
        await bot.session.close()
        await db.dispose()
    return 0


async def jobs_list(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.jobs.registry import JOBS
    from portcrm.jobs.scheduler import next_run

    now = dt.datetime.now(settings.tz)
    for job in JOBS:
        upcoming = next_run(job, settings, now)
        when = upcoming.strftime("%Y-%m-%d %H:%M %Z") if upcoming else "-"
        print(f"{job.name:<24} {when:<24} {_(job.description)}")
    return 0


async def jobs_run(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.jobs.base import JobContext, run_claimed
    from portcrm.jobs.registry import JOBS, find
    from portcrm.jobs.scheduler import moment_on
    from portcrm.jobs.summaries import describe

    job = find(args.name)
    if job is None:
        print(
            _("Unknown job {name}. Jobs: {names}").format(
                name=args.name, names=", ".join(j.name for j in JOBS)
            )
        )
        return 2
    moment = moment_on(job, settings, args.date) if args.date else dt.datetime.now(settings.tz)
    db = Database(settings.database_url)
    try:
        result = await run_claimed(job, JobContext(db, settings, moment))
    finally:
        await db.dispose()
    if result is None:
        print(
            _("{name} already ran for period {period}; nothing done.").format(
                name=job.name, period=job.period(moment)
            )
        )
        return 0
    print(
        _("{name} ran for period {period}: {result}").format(
            name=job.name, period=job.period(moment), result=describe(job.name, result, _)
        )
    )
    return 0


async def outbox_status(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.messaging import mail_outbox
    from portcrm.messaging.outbox import status_counts

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            counts = await status_counts(session)
            mails = await mail_outbox.status_counts(session)
    finally:
        await db.dispose()
    for status, count in counts.items():
        print(f"{status:<12} {count}")
    print(_("Mail to customers:"))
    for status, count in mails.items():
        print(f"{status:<12} {count}")
    return 0


def _mail_secrets(settings: Settings) -> list[str]:
    return [settings.smtp_password.get_secret_value()] if settings.smtp_password else []


async def edi_ingest(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from bot.runtime.cli_edi import edi_ingest as run

    return await run(args, settings, _)


COMMANDS.update(cli_desk.COMMANDS)
COMMANDS.update(
    {
        "edi ingest": edi_ingest,
        "worker": worker,
        "jobs list": jobs_list,
        "jobs run": jobs_run,
        "outbox status": outbox_status,
    }
)
COMMANDS.update(cli_feeds.COMMANDS)
COMMANDS.update(cli_mail.COMMANDS)
