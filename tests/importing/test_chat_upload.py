"""A file of cargo events sent in chat (/events): a file it cannot read, or a bad header, imports nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select

from portcrm.enums import CargoEventType, Role
from portcrm.i18n import gettext_for
from portcrm.models import CargoEvent
from tests.factories import make_customer, make_shipment, make_staff
from tests.harness import TOKEN, RunningBot, running_bot
from tests.importing.hostile import CUSTOMER, UNREADABLE, XLSX_UNREADABLE
from tests.importing.support import table_counts

BL = "NGBUPL000001"
OPERATOR = 7301


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[RunningBot]:
    async with running_bot(database_url) as running:
        async with running.db.session() as session:
            await make_staff(session, telegram_user_id=OPERATOR, name="赵操作", roles=(Role.OPERATIONS,))
            await make_shipment(session, await make_customer(session), bl_number=BL)
            await session.commit()
        yield running


async def _contents(app: RunningBot) -> dict[str, int]:
    """Rows in every table but the bot's own record of each update and who sent it."""
    async with app.db.session() as session:
        counts = await table_counts(session)
        await session.commit()
    return {
        table: count for table, count in counts.items() if table not in ("received_updates", "chat_users")
    }


async def _send(app: RunningBot, data: bytes, name: str) -> list[str]:
    operator = app.user(OPERATOR, language_code="en")
    update = app.sandbox.send_document(TOKEN, operator, data, name, caption="/events")
    reply = await app.sandbox.wait_for_reply(operator, after=update, token=TOKEN)
    assert reply.text is not None
    return reply.text.splitlines()


# some of the files tests/test_cli.py goes through one by one: each way of failing, once
CHAT_CASES = [
    case
    for case in UNREADABLE
    if case[0] in {"truncated.xlsx", "a-picture.xlsx", "charts-only.xlsx", "huge-cell.csv", "empty.csv"}
]


@pytest.mark.parametrize(("name", "content", "reason"), CHAT_CASES, ids=[case[0] for case in CHAT_CASES])
async def test_an_unreadable_upload_is_answered_in_one_line_and_nothing_is_imported(
    app: RunningBot, name: str, content: Callable[[], bytes], reason: str
) -> None:
    before = await _contents(app)
    assert await _send(app, content(), name) == [f"Nothing was imported: {reason}"]
    assert await _contents(app) == before


async def test_an_unreadable_upload_is_answered_in_the_users_language(app: RunningBot) -> None:
    operator = app.user(OPERATOR, language_code="zh-hant")
    update = app.sandbox.send_document(TOKEN, operator, CUSTOMER[:100], "events.xlsx", caption="/events")
    reply = await app.sandbox.wait_for_reply(operator, after=update, token=TOKEN)
    _zh_tw = gettext_for("zh_TW")
    assert reply.text == _zh_tw("Nothing was imported: {reason}").format(reason=_zh_tw(XLSX_UNREADABLE))
    assert reply.text != f"Nothing was imported: {XLSX_UNREADABLE}"


async def test_a_junk_header_without_rows_is_refused_on_row_1(app: RunningBot) -> None:
    before = await _contents(app)
    lines = await _send(app, b"D" * 5000 + b"\n", "events.csv")
    assert lines == [
        "Nothing was imported: fix these rows and send the file again.",
        "Row 1: Unknown column: " + "d" * 39 + "…",
        "Row 1: Required column missing: reference",
        "Row 1: Required column missing: event_type",
        "Row 1: Required column missing: occurred_at",
    ]
    assert await _contents(app) == before


async def test_a_control_character_in_an_uploaded_cell_is_refused(app: RunningBot) -> None:
    before = await _contents(app)
    data = f"reference,event_type,occurred_at,location\n{BL},gate_in,2026-11-20 08:00,Yard\x1b[2J 3\n"
    lines = await _send(app, data.encode(), "events.csv")
    assert lines == [
        "Nothing was imported: fix these rows and send the file again.",
        "Row 2: Column location contains a control character (U+001B), which is not allowed",
    ]
    assert await _contents(app) == before


async def test_event_types_written_in_chinese_of_either_script_are_imported(app: RunningBot) -> None:
    """Issue 17 item 7: an import took only the English codes of a choice column."""
    data = (
        "reference,event_type,occurred_at\n"
        f"{BL},进闸,2026-11-20 08:00\n"  # Simplified
        f"{BL},裝船,2026-11-21 09:30\n"  # Traditional
        f"{BL},Vessel-Departed,2026-11-22 18:00\n"  # the code, as a person might write it
    )
    operator = app.user(OPERATOR, language_code="zh-hans")
    update = app.sandbox.send_document(TOKEN, operator, data.encode(), "events.csv", caption="/events")
    reply = await app.sandbox.wait_for_reply(operator, after=update, token=TOKEN)
    zh = gettext_for("zh_CN")
    done = zh("Imported {rows} row(s): {created} new, {updated} updated, {unchanged} unchanged.")
    assert reply.text == done.format(rows=3, created=3, updated=0, unchanged=0)
    async with app.db.session() as session:
        kinds = await session.scalars(select(CargoEvent.event_type).order_by(CargoEvent.occurred_at))
        assert list(kinds) == [CargoEventType.GATE_IN, CargoEventType.LOADED, CargoEventType.VESSEL_DEPARTED]
        await session.commit()


async def test_an_unknown_chinese_event_type_is_refused_naming_the_choices(app: RunningBot) -> None:
    before = await _contents(app)
    lines = await _send(
        app, f"reference,event_type,occurred_at\n{BL},到货了,2026-11-20 08:00\n".encode(), "e.csv"
    )
    assert lines[1].startswith("Row 2: Unknown value 到货了; expected one of: booking_confirmed, ")
    assert lines[1].endswith(", or its Chinese name (docs/import.md)")
    assert await _contents(app) == before
