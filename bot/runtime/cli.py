"""The `portcrm` command line: database, bot, imports, staff, feeds, invites and the demo.

Messages to the operator go through gettext in the port's default locale.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portcrm.errors import DomainError
from portcrm.i18n import compile_catalogs, gettext_for
from portcrm.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from portcrm.settings import Listen

Command = Callable[[argparse.Namespace, Settings, Callable[[str], str]], Coroutine[Any, Any, int]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portcrm", description="PortCRM: customer management for a seaport")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema and backups").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="bring the database to the newest schema")
    backup = db.add_parser("backup", help="write a consistent copy of the running database")
    backup.add_argument("path", type=Path)

    run = commands.add_parser(
        "run", help="run the bot (long polling, or a webhook), with scheduler and outbox"
    )
    run.add_argument(
        "--webhook",
        type=webhook_url,
        metavar="URL",
        help="serve updates on this public https URL instead of polling (several instances may share it)",
    )
    run.add_argument(
        "--listen",
        type=listen_address,
        metavar="HOST:PORT",
        default="127.0.0.1:8080",
        help="where a webhook instance listens, behind the TLS proxy (default 127.0.0.1:8080)",
    )
    commands.add_parser("worker", help="run the scheduler and the outbox sender alone, without the bot")

    jobs = commands.add_parser("jobs", help="scheduled jobs").add_subparsers(
        dest="jobs_command", required=True
    )
    jobs.add_parser("list", help="the jobs and when each runs next")
    run_job = jobs.add_parser("run", help="run one job now, for today or a given date (once per period)")
    run_job.add_argument("name")
    run_job.add_argument(
        "--date", type=date_argument, default=None, help="YYYY-MM-DD in the port's time zone"
    )

    outbox = commands.add_parser("outbox", help="the notification outbox").add_subparsers(
        dest="outbox_command", required=True
    )
    outbox.add_parser("status", help="pending, sent, failed, unreachable and parked counts")

    imports = commands.add_parser("import", help="import a .csv or .xlsx file (all rows or none)")
    imports.add_argument(
        "kind", choices=["customers", "contacts", "shipments", "cargo-events", "invoices", "payments"]
    )
    imports.add_argument("file", type=Path)

    edi = commands.add_parser("edi", help="EDIFACT terminal reports (CODECO, COARRI, IFTSTA)").add_subparsers(
        dest="edi_command", required=True
    )
    edi_ingest = edi.add_parser(
        "ingest",
        help="take in interchange files; a file with a broken message goes to quarantine with a report",
    )
    edi_ingest.add_argument("files", type=Path, nargs="+", metavar="FILE")

    staff = commands.add_parser("staff", help="staff members").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff.add_parser("add", help="add a staff member or give them more roles")
    add.add_argument("telegram_id", type=int)
    add.add_argument("--name", required=True)
    add.add_argument(
        "--role",
        required=True,
        action="append",
        choices=["market", "operations", "finance", "manager", "admin"],
        help="repeat for several roles",
    )

    feeds = commands.add_parser(
        "feeds", help="DCSA Track & Trace publishers allowed to post cargo events"
    ).add_subparsers(dest="feeds_command", required=True)
    feeds.add_parser("add", help="add a publisher; prints its Subscription-ID and secret once").add_argument(
        "name"
    )
    feeds.add_parser("list", help="the publishers, without their secrets")
    rotate = feeds.add_parser(
        "rotate-secret", help="a new secret, printed once; the old one lasts a grace period"
    )
    rotate.add_argument("name")
    rotate.add_argument(
        "--grace-hours",
        default="24",
        metavar="N",
        help="hours the old secret stays valid (default 24; 0 ends it now)",
    )
    feeds.add_parser("remove", help="a publisher can post no more (its events stay)").add_argument("name")

    mail = commands.add_parser("mail", help="the complaint mailbox").add_subparsers(
        dest="mail_command", required=True
    )
    mail.add_parser("serve", help="receive mail for the complaint address and send mail to customers")
    mail.add_parser("list", help="kept mails of unknown senders, newest first").add_argument(
        "--limit", type=int, default=20
    )
    desk = commands.add_parser(
        "desk", help="the staff supergroup where each complaint gets a forum topic"
    ).add_subparsers(dest="desk_command", required=True)
    desk.add_parser(
        "attach", help="make this supergroup (topics on, the bot an admin managing topics) the desk"
    ).add_argument("chat_id", type=int, metavar="CHAT_ID", help="the group's id, e.g. -1001234567890")
    desk.add_parser("show", help="which group is the desk, who attached it and when")
    desk.add_parser("detach", help="no desk group any more (topics stay in Telegram)")

    invite = commands.add_parser("invite", help="print a one-time invite link for a customer's contact")
    invite.add_argument("customer_code")
    invite.add_argument("--contact", help="the contact's name (default: the primary contact)")

    demo = commands.add_parser(
        "demo",
        help="a demo port with a local Telegram sandbox, chatted in the terminal",
        description="A demo port (SQLite), a local Telegram sandbox and the bot in one process; you chat in\n"
        "the terminal as one of the personas below. Type :help in the demo for what you can do there.",
        epilog=PERSONAS_HELP,
        formatter_class=DemoHelp,
    )
    demo.add_argument(
        "--db",
        type=Path,
        default=Path("portcrm-demo.db"),
        help="demo database file, kept between runs (photos and files the bot sends go next to it, "
        "into <name>-files/)",
    )
    demo.add_argument("--fresh", action="store_true", help="start over: seed the demo port anew")
    demo.add_argument(
        "--persona",
        default=None,
        metavar="KEY",
        help="who to chat as (asked at a terminal; else the manager)",
    )
    demo.add_argument(
        "--say",
        action="append",
        default=[],
        metavar="TEXT",
        help="send these lines (#N presses button N, :jobs runs the jobs, ...) and exit, without a prompt",
    )
    return parser


PERSONAS_HELP = "personas (--persona KEY):"


class DemoHelp(argparse.RawDescriptionHelpFormatter):
    """`demo --help` lists the personas; they are imported only when the help is shown (the demo's package
    would cost every other command a second of imports)."""

    def add_text(self, text: str | None) -> None:
        if text == PERSONAS_HELP:
            from portcrm.demo.personas import DEMO_PERSONAS

            rows = [f"  {p.key:<12} {p.describe(lambda message: message)}" for p in DEMO_PERSONAS]
            text = "\n".join([PERSONAS_HELP, *rows])
        super().add_text(text)


def date_argument(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def webhook_url(value: str) -> str:
    from bot.runtime.webhook_settings import webhook_path

    try:
        webhook_path(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def listen_address(value: str) -> Listen:
    from portcrm.settings import Listen

    try:
        return Listen.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        compile_catalogs(settings.locales_dir)
    except ConfigError as error:
        print(f"portcrm: configuration error: {error}", file=sys.stderr)
        return 2
    from bot.runtime import cli_commands  # the command bodies import the heavier modules only when used

    command: Command = cli_commands.COMMANDS[_command_key(args)]
    _ = gettext_for(settings.default_locale, settings.locales_dir)
    try:
        return asyncio.run(command(args, settings, _))
    except ConfigError as error:
        print(f"portcrm: configuration error: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"portcrm: {_(error.message).format(**error.params)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _command_key(args: argparse.Namespace) -> str:
    sub = getattr(args, f"{args.command}_command", None)
    return f"{args.command} {sub}" if sub else args.command


if __name__ == "__main__":
    sys.exit(main())
