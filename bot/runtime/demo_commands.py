"""The demo's own commands (`:help`, `:persona`, `:jobs`, `:location`, `:photo`, `:file`, `:tour`, `:quit`)
and the two ways a session is driven: a script of lines (`--say`, or the tour), or a person at the terminal.

Any other line goes to the bot, as do lines starting with `:` that are not one of these.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.runtime.demo_jobs import run_jobs_now, unknown
from bot.runtime.demo_session import DemoSession
from portcrm.i18n import gettext_for, resolve_locale
from portcrm.jobs.registry import JOBS
from sandbox import tiny_png

SAMPLE_PHOTO_SIZE = (320, 240)
Command = Callable[[DemoSession, list[str]], Awaitable[bool]]  # False: leave the demo


def tour(session: DemoSession) -> list[str]:
    """The first minutes, as the manager: the day's pushes, the report's charts and workbook, the ledger."""
    become = [] if session.current == "manager" else [":persona manager"]
    manager = session.personas["manager"]
    their = gettext_for(resolve_locale(None, manager.language_code, session.settings.default_locale))
    return [*become, "/report", "/overdue", "#" + their("Export ledger (.xlsx)")]


def help_text(session: DemoSession) -> str:
    _ = session._
    keys = ", ".join(session.personas)
    rows = [
        ("#N", _("press button N of the latest message with buttons (or #label)")),
        (":location [LAT,LON]", _("share a location (the port's, if none is given)")),
        (":photo [FILE] [TEXT]", _("send a photo (a sample picture if no file is given)")),
        (":file FILE [TEXT]", _("send a file, e.g. a .csv or .xlsx to import")),
        (":persona [KEY]", _("play someone else ({keys}); what arrived for them meanwhile is shown")),
        (":jobs [NAME]", _("run the scheduled jobs now: reminders, grading, surveys, escalations")),
        (":tour", _("a short tour as the manager: pushes, charts and an Excel workbook")),
        (":help", _("this help")),
        (":quit", _("leave; the data stays for the next run (portcrm demo --fresh starts over)")),
    ]
    return "\n".join(
        [
            _("Type a message and press Enter: the bot gets it from the person you are playing."),
            *(f"  {syntax:<22}{text.format(keys=keys)}" for syntax, text in rows),
            _("Photos and files the bot sends are saved under {folder}.").format(folder=session.screen.files),
        ]
    )


async def _help(session: DemoSession, args: list[str]) -> bool:
    session.screen.lines(help_text(session))
    return True


async def _persona(session: DemoSession, args: list[str]) -> bool:
    _ = session._
    if args and args[0] in session.personas:
        session.become(args[0])
    elif not args and session.interactive:
        if (key := await choose(session)) is not None:
            session.become(key)
    else:
        session.screen.lines(
            _("Unknown persona {key}. Choose one of: {keys}").format(
                key=args[0] if args else "", keys=", ".join(session.personas)
            )
        )
    return True


async def _jobs(session: DemoSession, args: list[str]) -> bool:
    if missing := unknown(args):
        names = ", ".join(job.name for job in JOBS)
        session.screen.lines(
            session._("Unknown job {name}. Jobs: {names}").format(name=missing[0], names=names)
        )
        return True
    session.screen.lines(*await run_jobs_now(session.db, session.settings, session._, args))
    return True


async def _location(session: DemoSession, args: list[str]) -> bool:
    try:
        numbers = [float(part) for part in " ".join(args).replace(",", " ").split()]
        latitude, longitude = numbers if numbers else session.chat.here
        session.sent(session.chat.send_location(latitude, longitude))
    except ValueError:
        session.screen.lines(session._("Write a place as latitude,longitude, e.g. :location 29.94,121.85"))
    return True


async def _photo(session: DemoSession, args: list[str]) -> bool:
    if not args:
        session.sent(session.chat.send_photo(tiny_png(*SAMPLE_PHOTO_SIZE)))
        return True
    if (data := _read(session, args[0])) is not None:
        session.sent(session.chat.send_photo(data, " ".join(args[1:]) or None))
    return True


async def _file(session: DemoSession, args: list[str]) -> bool:
    if not args:
        session.screen.lines(session._("Say which file to send, e.g. :file examples/customers.csv"))
    elif (data := _read(session, args[0])) is not None:
        session.sent(session.chat.send_document(data, Path(args[0]).name, " ".join(args[1:]) or None))
    return True


async def _tour(session: DemoSession, args: list[str]) -> bool:
    return await play(session, tour(session))


async def _quit(session: DemoSession, args: list[str]) -> bool:
    return False


COMMANDS: dict[str, Command] = {
    ":help": _help,
    ":persona": _persona,
    ":jobs": _jobs,
    ":location": _location,
    ":photo": _photo,
    ":file": _file,
    ":tour": _tour,
    ":quit": _quit,
    ":q": _quit,
}


async def handle(session: DemoSession, line: str) -> bool:
    """Do what the line says; False when it asks to leave."""
    line = line.strip()
    name = line.split(maxsplit=1)[0] if line else ""
    if name not in COMMANDS:
        if line:
            session.send(line)
        return True
    try:
        args = shlex.split(line)[1:]
    except ValueError:  # an unclosed quote
        session.screen.lines(session._("Close the quotes around a file name that has spaces."))
        return True
    return await COMMANDS[name](session, args)


async def play(session: DemoSession, lines: Sequence[str]) -> bool:
    """Each line in turn, shown as typed, the bot settled after each; False if one asked to leave."""
    await session.settle()
    for line in lines:
        session.screen.lines(f"> {line}")
        if not await handle(session, line):
            return False
        await session.settle()
    return True


async def converse(session: DemoSession) -> None:
    """A person at the terminal: lines until :quit or the end of input, output arriving in between."""
    session.screen.lines(
        session._("Type :help for what you can do here, :tour for a short tour, :quit to leave.")
    )
    while (line := await session.read()) is not None:
        if not await handle(session, line):
            return


async def choose(session: DemoSession) -> str | None:
    """Ask who to play; None at the end of input."""
    _ = session._
    ordered = list(session.personas.values())
    session.screen.lines(
        _("Who do you want to be?"),
        *(f"  {number}. {persona.describe(_)}" for number, persona in enumerate(ordered, start=1)),
    )
    while (answer := await session.read("# ")) is not None:
        if answer.strip().isdigit() and 1 <= int(answer) <= len(ordered):
            return ordered[int(answer) - 1].key
        session.screen.lines(_("Please type a number from 1 to {count}.").format(count=len(ordered)))
    return None


def _read(session: DemoSession, name: str) -> bytes | None:
    try:
        return Path(name).expanduser().read_bytes()
    except OSError:
        session.screen.lines(session._("Cannot read the file {path}.").format(path=name))
        return None
