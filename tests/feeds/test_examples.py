"""examples/feeds/: every file reads and maps without a problem, and names cargo the demo port really has.

`portcrm demo` plays these files (bot/runtime/demo_feeds.py); the seed's import and export for them are in
portcrm/demo/feed_cargo.py. Seeded for the day the files are dated for, the files are taken in as they are.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime.demo_feeds import DCSA_FILE, EDIFACT_FILES, EXAMPLES, shift_dcsa, shift_edifact
from portcrm.demo import seed_demo
from portcrm.demo.feed_cargo import EXAMPLES_DAY, EXPORT_BL, EXPORT_BOOKING, EXPORT_BOX, IMPORT_BL, IMPORT_BOX
from portcrm.demo.personas import persona
from portcrm.enums import CargoEventType as E
from portcrm.enums import ShipmentDirection
from portcrm.feeds.dcsa.batch import read_batch
from portcrm.feeds.edifact.codes import load_codes
from portcrm.feeds.edifact.events import message_events
from portcrm.feeds.edifact.ingest import ingest_edi_file
from portcrm.feeds.edifact.messages import Context
from portcrm.feeds.edifact.reader import read_interchange
from portcrm.models import CargoEvent, Container, Notification, Shipment
from portcrm.services.tracking.feed_events import FeedEvent, ingest_feed_events
from portcrm.services.tracking.pickup_alerts import PICKUP_KIND
from portcrm.services.tracking.release import Pickup, release_status

TZ = ZoneInfo("Asia/Shanghai")
SIX_HOURS = dt.timedelta(hours=6)
EXPECTED = {  # what each file says, in order
    "codeco.edi": [(E.EMPTY_PICKUP, EXPORT_BOX), (E.GATE_IN, EXPORT_BOX)],
    "coarri.edi": [(E.DISCHARGED, IMPORT_BOX), (E.LOADED, EXPORT_BOX)],
    "iftsta.edi": [(E.DISCHARGED, IMPORT_BOX), (E.CUSTOMS_RELEASED, "")],
    DCSA_FILE: [
        (E.VESSEL_ARRIVED, ""),
        (E.STUFFED, EXPORT_BOX),
        (E.CARRIER_RELEASED, ""),
        (E.VESSEL_DEPARTED, ""),
    ],  # and the export's B/L issued: received, not used
}


def _edifact_events(text: str) -> list[FeedEvent]:
    """The file's events; fails on anything the reader would quarantine or note."""
    interchange = read_interchange(text.encode())
    assert interchange.problems == []
    codes = load_codes().for_sender(interchange.sender)
    ctx = Context(interchange.sender, interchange.control_reference, codes, TZ, interchange.prepared_at)
    events = []
    for message in interchange.messages:
        taken = message_events(message, ctx)
        assert taken.broken is None, taken.broken.render()
        assert taken.notes == [], [n.render() for n in taken.notes]
        events += taken.events
    return events


def _dcsa_events(body: bytes) -> list[FeedEvent]:
    batch = read_batch(body, source="dcsa:examples")
    assert batch.problems == []
    # the one event kept to show what is received and not used: the export's B/L issued
    assert [(u.index, u.reason) for u in batch.unused] == [
        (4, "shipment event ISSU of a TRD document is not used")
    ]
    return batch.events


def _events(name: str, days: int = 0) -> list[FeedEvent]:
    path = EXAMPLES / name
    if name == DCSA_FILE:
        return _dcsa_events(shift_dcsa(path.read_bytes(), days))
    return _edifact_events(shift_edifact(path.read_text(encoding="utf-8"), days))


def test_every_example_reads_and_maps_to_the_events_its_readme_describes() -> None:
    for name, expected in EXPECTED.items():
        assert [(e.event_type, e.container_number) for e in _events(name)] == expected, name
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".edi", ".json")) == sorted(EXPECTED)


def test_the_demo_moves_every_date_by_whole_days_and_nothing_else() -> None:
    for name in EXPECTED:
        before, after = _events(name), _events(name, days=400)
        assert [e.occurred_at + dt.timedelta(days=400) for e in before] == [e.occurred_at for e in after]
        assert [e.reported_at + dt.timedelta(days=400) for e in before if e.reported_at] == [
            e.reported_at for e in after if e.reported_at
        ]

        def kept(events: list[FeedEvent]) -> list[tuple[object, ...]]:
            return [
                (e.event_id, e.event_type, e.container_number, e.references, e.vessel_imo) for e in events
            ]

        assert kept(before) == kept(after)


@pytest.mark.slow
async def test_the_examples_name_seeded_cargo_and_make_the_import_ready_for_pick_up(
    session: AsyncSession, tmp_path: Path
) -> None:
    await seed_demo(session, today=EXAMPLES_DAY, tz=TZ)
    named = {e.container_number for name in EXPECTED for e in _events(name) if e.container_number}
    boxes = set(await session.scalars(select(Container.number).where(Container.number.in_(named))))
    assert boxes == named == {IMPORT_BOX, EXPORT_BOX}
    references = {r for name in EXPECTED for e in _events(name) for r in e.references}
    assert references == {IMPORT_BL, EXPORT_BL, EXPORT_BOOKING}
    found = await session.execute(select(Shipment.bl_number, Shipment.booking_ref))
    known = {value for row in found for value in row if value}
    assert references <= known

    codes = load_codes()
    for name in EDIFACT_FILES:
        copy = tmp_path / name
        copy.write_text((EXAMPLES / name).read_text(encoding="utf-8"))
        report = await ingest_edi_file(
            session, copy, codes=codes, tz=TZ, default_locale="zh_CN", eta_change=SIX_HOURS
        )
        assert not report.quarantined, name
        assert report.result is not None
        assert report.result.unmatched == 0, name
    posted = _dcsa_events((EXAMPLES / DCSA_FILE).read_bytes())
    result = await ingest_feed_events(session, posted, tz=TZ, default_locale="zh_CN", eta_change=SIX_HOURS)
    assert (result.unmatched, result.superseded) == (0, 0)

    imported = await session.scalar(select(Shipment).where(Shipment.bl_number == IMPORT_BL))
    exported = await session.scalar(select(Shipment).where(Shipment.bl_number == EXPORT_BL))
    assert imported is not None
    assert exported is not None
    events = list(await session.scalars(select(CargoEvent).where(CargoEvent.shipment_id == imported.id)))
    status = release_status(ShipmentDirection.IMPORT, [IMPORT_BOX], events, payment_overdue=False)
    assert status is not None
    assert status.boxes[0].pickup is Pickup.AVAILABLE
    assert exported.status is E.LOADED
    assert exported.etd == dt.datetime(2026, 12, 8, 3, tzinfo=TZ)  # the carrier's estimate replaced the plan
    pushed = await session.scalars(
        select(Notification.kind).where(
            Notification.chat_id == persona("customer").telegram_user_id,
            Notification.reply_markup.is_not(None),
        )
    )
    # one push for each event the feeds recorded on the import and the export she follows, and one "ready"
    fed = await session.scalar(
        select(func.count())
        .select_from(CargoEvent)
        .where(CargoEvent.shipment_id.in_([imported.id, exported.id]), CargoEvent.source == "feed")
    )
    assert sorted(pushed) == sorted(["cargo_event"] * int(fed or 0) + [PICKUP_KIND])
