"""A file into the database: events taken in once, interchanges recognised, broken messages left out."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType as T
from portcrm.enums import ShipmentDirection
from portcrm.feeds.edifact.codes import load_codes
from portcrm.feeds.edifact.ingest import FileReport, ingest_edi_file
from portcrm.models import CargoEvent, Container, EdiInterchange, FeedEventReceipt, UnmatchedFeedEvent
from tests.factories import make_customer, make_shipment
from tests.feeds.edifact.builders import SAMPLES, TZ


async def ingest(session: AsyncSession, path: Path) -> FileReport:
    return await ingest_edi_file(
        session, path, codes=load_codes(), tz=TZ, default_locale="en", eta_change=dt.timedelta(hours=6)
    )


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def rows(session: AsyncSession) -> dict[str, int]:
    models = (CargoEvent, EdiInterchange, FeedEventReceipt, UnmatchedFeedEvent)
    return {model.__tablename__: await count(session, model) for model in models}


def copy(tmp_path: Path, sample: str) -> Path:
    return Path(shutil.copy(SAMPLES / sample, tmp_path / sample))


async def test_a_discharge_report_is_recorded_on_its_shipment(session: AsyncSession, tmp_path: Path) -> None:
    customer = await make_customer(session)
    shipment = await make_shipment(
        session,
        customer,
        bl_number="COSU6300123456",
        direction=ShipmentDirection.IMPORT,
        containers=[Container(number="OOLU7540179", size_type="45G1")],
    )
    await session.commit()
    report = await ingest(session, copy(tmp_path, "coarri_discharge.edi"))
    assert not report.quarantined
    assert report.result is not None
    assert (report.result.recorded, report.result.unmatched) == (1, 1)  # TCNU1122333 names no known shipment
    events = list(await session.scalars(select(CargoEvent).where(CargoEvent.shipment_id == shipment.id)))
    assert [(e.event_type, e.container_number) for e in events] == [(T.DISCHARGED, "OOLU7540179")]
    interchange = await session.scalar(select(EdiInterchange))
    assert interchange is not None
    assert (interchange.sender, interchange.control_reference, interchange.messages) == (
        "YSCT",
        "CA2611150640",
        1,
    )
    assert interchange.file_name == "coarri_discharge.edi"


async def test_the_same_interchange_again_is_skipped_and_said_so(
    session: AsyncSession, tmp_path: Path
) -> None:
    first = await ingest(session, copy(tmp_path, "codeco_gate.edi"))
    assert first.result is not None
    assert first.result.unmatched == 4
    before = await rows(session)
    again = tmp_path / "again.edi"
    shutil.copy(SAMPLES / "codeco_gate.edi", again)
    repeat = await ingest(session, again)
    assert (repeat.duplicate, repeat.result, repeat.quarantined) == (True, None, False)
    assert (repeat.sender, repeat.control_reference) == ("YSCT", "CO2611140935")
    assert await rows(session) == before


async def test_a_broken_message_is_left_out_and_the_rest_taken(session: AsyncSession, tmp_path: Path) -> None:
    path = copy(tmp_path, "coarri_broken.edi")
    report = await ingest(session, path)
    assert report.quarantined
    assert (report.messages, report.broken) == (3, 1)
    assert [p.place.message_ref for p in report.problems] == ["CA00012"]
    assert report.result is not None
    assert report.result.received == 2
    assert [e.container_number for e in report.events] == ["CSNU6300181", "FCIU9988777"]
    assert await count(session, EdiInterchange) == 0, "a partly broken interchange may be sent again"

    # the terminal corrects the container number and sends the interchange again, same control reference
    path.write_bytes(path.read_bytes().replace(b"SEGU5566773", b"SEGU5566772"))
    corrected = await ingest(session, path)
    assert not corrected.quarantined
    assert corrected.result is not None
    assert (corrected.result.received, corrected.result.repeated) == (3, 2)
    assert await count(session, EdiInterchange) == 1
    assert await count(session, FeedEventReceipt) == 3


async def test_an_unreadable_file_writes_nothing(session: AsyncSession, tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.7\n\x00\x01\x02 binary")
    report = await ingest(session, path)
    assert report.quarantined
    assert report.unreadable is not None
    assert report.unreadable.render() == "the file is not EDIFACT text (binary content)"
    assert set((await rows(session)).values()) == {0}
