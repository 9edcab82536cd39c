"""A terminal's file to the customer's chat: the real bot watches its drop folder, pushes via the sandbox."""

from __future__ import annotations

import argparse
import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime.cli_edi import edi_ingest
from portcrm.enums import CargoEventType as T
from portcrm.enums import ShipmentDirection
from portcrm.feeds.edifact import dropfolder
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.models import CargoEvent, Container, ShipmentSubscription
from tests.factories import make_contact, make_customer, make_shipment
from tests.feeds.edifact.builders import SAMPLES
from tests.harness import TOKEN, RunningBot, running_bot

BL, BOX = "COSU6300123456", "OOLU7540179"  # as the samples name them


async def subscribed_shipment(app: RunningBot, telegram_user_id: int) -> int:
    """The import shipment of the samples' first box, its contact subscribed to it."""
    async with app.db.session() as session:
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=telegram_user_id)
        shipment = await make_shipment(
            session,
            customer,
            bl_number=BL,
            direction=ShipmentDirection.IMPORT,
            containers=[Container(number=BOX, size_type="45G1")],
        )
        session.add(ShipmentSubscription(contact_id=contact.id, shipment_id=shipment.id))
        await session.commit()
        return shipment.id


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Until the condition holds (checked as the harness checks the bot's progress)."""
    async with asyncio.timeout(timeout):
        while True:
            if await asyncio.to_thread(condition):
                return
            await asyncio.sleep(0.02)


async def events_of(app: RunningBot, shipment_id: int) -> list[tuple[T, str]]:
    async with app.db.session() as session:
        rows = await session.scalars(select(CargoEvent).where(CargoEvent.shipment_id == shipment_id))
        return [(e.event_type, e.container_number) for e in rows]


async def test_a_discharge_report_dropped_by_the_terminal_reaches_the_customers_chat(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dropfolder, "POLL_SECONDS", 0.05)
    drop = tmp_path / "drop"
    async with running_bot(database_url, default_locale="zh_CN", edi_drop_dir=drop) as app:
        shipment_id = await subscribed_shipment(app, 8801)
        user = app.user(8801, language_code="zh-hans")
        await app.say_and_settle(user, "/start")  # a private chat the bot may write to
        mark = app.sandbox.mark()
        drop.mkdir(exist_ok=True)
        shutil.copy(SAMPLES / "coarri_discharge.edi", drop / "COARRI_YSCT_0640.edi")
        push = await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN, timeout=20)
        _ = gettext_for("zh_CN")
        assert push.text is not None
        assert _("Discharged from the vessel") in push.text
        assert BOX in push.text
        await until(lambda: (drop / "done" / "COARRI_YSCT_0640.edi").exists())
        assert await events_of(app, shipment_id) == [(T.DISCHARGED, BOX)]


async def test_a_hold_and_its_release_taken_in_from_the_command_line_are_pushed(
    database_url: str, tmp_path: Path
) -> None:
    async with running_bot(database_url, default_locale="en") as app:
        shipment_id = await subscribed_shipment(app, 8802)
        user = app.user(8802, language_code="en")
        await app.say_and_settle(user, "/start")
        path = Path(shutil.copy(SAMPLES / "iftsta_status.edi", tmp_path))
        mark = app.sandbox.mark()
        args = argparse.Namespace(files=[path])
        _ = gettext_for("en")
        assert await edi_ingest(args, app.settings, _) == 0
        pushes = [await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN, timeout=20)]
        while len(pushes) < 2:
            pushes.append(await app.sandbox.wait_for_reply(user, after=pushes[-1], token=TOKEN, timeout=20))
        texts = "\n".join(p.text or "" for p in pushes)
        assert _(CARGO_EVENT_NAMES[T.CUSTOMS_HOLD]) in texts
        assert _(CARGO_EVENT_NAMES[T.CUSTOMS_RELEASED]) in texts
        assert sorted(await events_of(app, shipment_id)) == sorted(
            [(T.CUSTOMS_HOLD, BOX), (T.CUSTOMS_RELEASED, BOX)]
        )
        assert await asyncio.to_thread(path.exists), "the command line leaves a good file where it is"
