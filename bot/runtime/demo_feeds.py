"""`portcrm demo` plays the example feeds (examples/feeds/) through the real paths, once the chat has begun.

The EDIFACT files go through `ingest_edi_file`, as `portcrm edi ingest` takes them; the DCSA batch is signed
with a subscription the demo adds and POSTed to the demo's own feed receiver on 127.0.0.1. The files are
dated for `EXAMPLES_DAY`; what is played are copies moved by whole days, so that their story (the import
discharged, released by customs and by the carrier) happened yesterday whenever the demo runs. The customer
persona follows that import (portcrm/demo/feed_cargo.py): the pushes reaching its chat are shown, then its
/track card with "Can I pick up?". It waits only for the pushes the outbox holds for this chat, so it adds a
few seconds (the outbox sends one message a second to a chat, as Telegram allows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from portcrm.audit import Actor
from portcrm.demo.feed_cargo import EXAMPLES_DAY, IMPORT_BL
from portcrm.feeds.dcsa.receiver import EVENTS_PATH, feed_server
from portcrm.feeds.dcsa.signature import SIGNATURE_HEADER, SUBSCRIPTION_HEADER, sign
from portcrm.feeds.dcsa.subscriptions import add_subscription
from portcrm.feeds.edifact.codes import load_codes
from portcrm.feeds.edifact.ingest import ingest_edi_file
from portcrm.feeds.edifact.report import note_lines, outcome_line, problem_lines
from portcrm.models import Notification
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox.terminal import TerminalChat

Gettext = Callable[[str], str]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "feeds"
EDIFACT_FILES = ("codeco.edi", "coarri.edi", "iftsta.edi")  # the order a terminal's day sends them in
DCSA_FILE = "dcsa-events.json"
PUBLISHER = "COSCO (demo)"
PUSH_WAIT = 30.0  # seconds at most for the pushes to reach the chat
_DTM = re.compile(r"(DTM\+\w+:)(\d{8})(\d*)")  # CCYYMMDD, then the time if any (formats 102, 203, 204)
_UNB = re.compile(r"^(UNB\+[^+']*\+[^+']*\+[^+']*\+)(\d{6})", re.MULTILINE)  # its date: YYMMDD


async def play_feeds(
    db: Database, settings: Settings, chat: TerminalChat, *, watching: bool, _: Gettext
) -> None:
    """Feed the examples in; with `watching` (the persona that follows the import), show what reaches it."""
    if not EXAMPLES.is_dir():  # an installed package without the repository's examples/
        return
    days = (dt.datetime.now(settings.tz).date() - EXAMPLES_DAY).days
    print(_("Meanwhile the terminal and the carrier send their reports (examples/feeds/):"))
    async with db.session() as session:
        last_push = await session.scalar(select(func.max(Notification.id))) or 0
    mark = chat.sandbox.mark()
    await _edifact(db, settings, days, _)
    await _dcsa(db, settings, days, _)
    if not watching:
        return
    async with db.session() as session:
        expected = await session.scalar(
            select(func.count()).where(Notification.id > last_push, Notification.chat_id == chat.user.id)
        )
    pushes = chat.sandbox.replies(chat.user, mark, token=chat.token)
    with contextlib.suppress(TimeoutError):  # the outbox far slower than ever seen: show what came
        while len(pushes) < (expected or 0):
            after = pushes[-1] if pushes else mark
            await chat.sandbox.wait_for_reply(chat.user, after=after, timeout=PUSH_WAIT, token=chat.token)
            pushes = chat.sandbox.replies(chat.user, mark, token=chat.token)
    for message in pushes:
        chat.show(message)
    line = f"/track {IMPORT_BL}"
    print(f"> {line}")
    await chat.send(line)


async def _edifact(db: Database, settings: Settings, days: int, _: Gettext) -> None:
    codes = load_codes(settings.edi_partners_file)
    with tempfile.TemporaryDirectory(prefix="portcrm-demo-edi-") as folder:
        for name in EDIFACT_FILES:
            copy = Path(folder) / name
            copy.write_text(shift_edifact((EXAMPLES / name).read_text(encoding="utf-8"), days))
            async with db.session(Actor(label=f"edi:{name}", source="demo")) as session:
                report = await ingest_edi_file(
                    session,
                    copy,
                    codes=codes,
                    tz=settings.tz,
                    default_locale=settings.default_locale,
                    eta_change=dt.timedelta(hours=settings.eta_change_hours),
                )
            report.path = Path("examples/feeds") / name
            for line in [outcome_line(report, _), *note_lines(report, _), *problem_lines(report, _)]:
                print(f"  {line}")


async def _dcsa(db: Database, settings: Settings, days: int, _: Gettext) -> None:
    async with db.session() as session:
        added, secret = await add_subscription(session, PUBLISHER)
    body = shift_dcsa((EXAMPLES / DCSA_FILE).read_bytes(), days)
    headers = {
        SUBSCRIPTION_HEADER: added.subscription_id,
        SIGNATURE_HEADER: sign(secret, body),
        "Content-Type": "application/json",
        "API-Version": "2.2.0",
    }
    local = settings.model_copy(update={"feed_listen": "127.0.0.1:0"})
    async with feed_server(db, local) as port, aiohttp.ClientSession() as client:
        url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        async with client.post(url, data=body, headers=headers) as answer:
            status = answer.status
    count = len(json.loads(body))
    line = _("examples/feeds/{name}: {count} DCSA events signed and posted to {url}: HTTP {status}")
    print("  " + line.format(name=DCSA_FILE, count=count, url=url, status=status))


def shift_edifact(text: str, days: int) -> str:
    """The interchange with every DTM date and the UNB's date moved by `days`."""

    def moved(match: re.Match[str]) -> str:
        day = dt.date.fromisoformat(match.group(2)) + dt.timedelta(days=days)
        return f"{match.group(1)}{day:%Y%m%d}{match.group(3)}"

    def unb(match: re.Match[str]) -> str:
        day = dt.date.fromisoformat(f"20{match.group(2)}") + dt.timedelta(days=days)
        return f"{match.group(1)}{day:%y%m%d}"

    return _UNB.sub(unb, _DTM.sub(moved, text))


def shift_dcsa(body: bytes, days: int) -> bytes:
    """The batch with each event's date-times moved by `days`, as a publisher would send it."""
    events = json.loads(body)
    for event in events:
        for name in ("eventDateTime", "eventCreatedDateTime"):
            event[name] = (dt.datetime.fromisoformat(event[name]) + dt.timedelta(days=days)).isoformat()
    return json.dumps(events, ensure_ascii=False, indent=2).encode()
