"""LFD warnings: 72 h and 24 h before free time ends, once each, again when the LFD moves, to the shipment's
subscribers and the account manager, each in their language; none once the clock has stopped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext, run_claimed
from portcrm.jobs.free_time import FREE_TIME_ALERTS
from portcrm.jobs.registry import find
from portcrm.models import CargoEvent, ChatUser, Container, Notification, ShipmentSubscription
from portcrm.services.tracking.free_time.alerts import search_window
from portcrm.services.tracking.free_time.facts import shipments_with_running_clocks
from portcrm.services.tracking.free_time.tariff_file import load_tariff
from portcrm.services.tracking.pushes import open_shipment_data
from portcrm.storage.db import Database
from tests.factories import container_number, make_contact, make_customer, make_shipment, make_staff
from tests.free_time.support import TARIFF_TOML, at, settings

D = dt.date
DRY, REEFER = container_number("LFDU", 1), container_number("LFDU", 2)
AGREED = TARIFF_TOML.replace("agreements.ACME", "agreements.LFD").replace(
    'equipment = "dry"\nfree_days = 5\nbasis = "working"',
    'equipment = "dry"\nfree_days = 7\nbasis = "calendar"',
)


@dataclass
class Port:
    shipment_id: int
    manager_id: int
    contact_ids: tuple[int, int]


async def _port(db: Database) -> Port:
    """An import of customer LFD: a 20' dry box and a 40' reefer discharged at 10:00 on 2 March 2026.

    Subscribed: contact 7001 (reads English) and 7002 (Simplified Chinese, from the archive); 7003 is not
    subscribed. The account manager (6101) reads Traditional Chinese.
    """
    async with db.session() as session:
        manager = await make_staff(session, telegram_user_id=6101, name="王經理")
        session.add_all(
            [ChatUser(telegram_user_id=6101, locale="zh_TW"), ChatUser(telegram_user_id=7001, locale="en")]
        )
        customer = await make_customer(
            session, code="LFD", name="宁波<免费期>货代", account_manager_id=manager.id
        )
        english = await make_contact(session, customer, telegram_user_id=7001)
        chinese = await make_contact(session, customer, telegram_user_id=7002, locale="zh_CN")
        await make_contact(session, customer, telegram_user_id=7003)
        shipment = await make_shipment(
            session,
            customer,
            bl_number="LFD0000000001",
            direction=ShipmentDirection.IMPORT,
            containers=[Container(number=DRY, size_type="22G1"), Container(number=REEFER, size_type="45R1")],
        )
        session.add_all(
            [
                ShipmentSubscription(contact_id=english.id, shipment_id=shipment.id),
                ShipmentSubscription(contact_id=chinese.id, shipment_id=shipment.id),
                CargoEvent(
                    shipment_id=shipment.id,
                    event_type=CargoEventType.DISCHARGED,
                    occurred_at=at(D(2026, 3, 2)),
                ),
            ]
        )
        other = await make_customer(
            session
        )  # another company's box discharged the same day: not ours to tell
        theirs = await make_shipment(
            session,
            other,
            direction=ShipmentDirection.IMPORT,
            containers=[Container(number=DRY, size_type="22G1")],
        )
        session.add(
            CargoEvent(
                shipment_id=theirs.id, event_type=CargoEventType.DISCHARGED, occurred_at=at(D(2026, 3, 2))
            )
        )
        await session.commit()
        return Port(shipment.id, manager.id, (english.id, chinese.id))


def _ctx(db: Database, moment: dt.datetime, tariff: Path) -> JobContext:
    return JobContext(db, settings(tariff_file=tariff), moment)


async def _warnings(db: Database, after: int = 0) -> list[Notification]:
    async with db.session() as session:
        query = select(Notification).where(Notification.kind == "free_time_alert", Notification.id > after)
        return list(await session.scalars(query.order_by(Notification.id)))


async def _add_event(
    db: Database, shipment_id: int, box: str, kind: CargoEventType, moment: dt.datetime
) -> None:
    async with db.session() as session:
        session.add(
            CargoEvent(shipment_id=shipment_id, container_number=box, event_type=kind, occurred_at=moment)
        )
        await session.commit()


async def test_each_warning_goes_once_to_subscribers_and_the_account_manager_in_their_language(
    db: Database, tmp_path: Path
) -> None:
    port = await _port(db)
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(TARIFF_TOML, encoding="utf-8")
    # the reefer's LFD is 4 March (3 days), the dry box's 6 March (5 days): free time ends at midnight after
    assert await run_claimed(FREE_TIME_ALERTS, _ctx(db, at(D(2026, 3, 3), 9, 5), tariff)) == {
        "shipments": 2,
        "warnings": 3,
    }
    first = await _warnings(db)
    assert [(n.chat_id, n.contact_id, n.staff_id) for n in first] == [
        (7001, port.contact_ids[0], None),
        (7002, port.contact_ids[1], None),
        (6101, None, port.manager_id),
    ]
    key = f"lfd:{port.shipment_id}:{REEFER}:demurrage:72h:2026-03-04"
    assert [n.idempotency_key for n in first] == [
        f"{key}:c{port.contact_ids[0]}",
        f"{key}:c{port.contact_ids[1]}",
        f"{key}:s{port.manager_id}",
    ]
    english, chinese, manager = (n.text for n in first)
    assert english.splitlines() == [
        "⏰ <b>Free time ends within 72 hours</b> · LFD0000000001",
        "Demurrage: last free day <b>Mar 4, 2026</b>",
        f"Container: {REEFER} (40' reefer) · From Mar 5, 2026: CN¥600.00 a day.",
        "Rule: port tariff TEST-1",
    ]
    zh_cn = gettext_for("zh_CN")
    assert (
        zh_cn("<b>Free time ends within {hours} hours</b> · {reference}").format(
            hours=72, reference="LFD0000000001"
        )
        in chinese
    )
    assert "滞港费：免费期截止日 <b>2026年3月4日</b>" in chinese
    assert "40尺冷藏箱" in chinese
    assert "滯港費：免費期截止日 <b>2026年3月4日</b>" in manager
    assert "宁波&lt;免费期&gt;货代" in manager, "the company, escaped, for the account manager only"
    assert "货代" not in english
    assert [n.reply_markup for n in first[:2]] == [
        {"inline_keyboard": [[{"text": "Open", "callback_data": open_shipment_data(port.shipment_id)}]]},
        {
            "inline_keyboard": [
                [{"text": zh_cn("Open"), "callback_data": open_shipment_data(port.shipment_id)}]
            ]
        },
    ]
    assert first[2].reply_markup is None

    assert await run_claimed(FREE_TIME_ALERTS, _ctx(db, at(D(2026, 3, 3), 9, 55), tariff)) is None, (
        "same hour"
    )
    again = await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 3), 10, 5), tariff))
    assert again["warnings"] == 0, "the 72 h warning goes once"

    # 01:05 on 4 March: the reefer is within 24 h, the dry box within 72 h
    await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 4), 1, 5), tariff))
    keys = {n.idempotency_key.rsplit(":", 1)[0] for n in await _warnings(db, first[-1].id)}
    assert keys == {
        f"lfd:{port.shipment_id}:{REEFER}:demurrage:24h:2026-03-04",
        f"lfd:{port.shipment_id}:{DRY}:demurrage:72h:2026-03-06",
    }
    assert await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 5), 0, 5), tariff)) == {
        "shipments": 2,
        "warnings": 0,
    }, "the reefer's free time is over: no more warnings for it"


async def test_a_box_with_a_day_left_hears_only_the_24_hour_warning(db: Database, tmp_path: Path) -> None:
    port = await _port(db)
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(TARIFF_TOML, encoding="utf-8")
    await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 4), 13, 5), tariff))  # 11 h left for the reefer
    reefer = [n for n in await _warnings(db) if f":{REEFER}:" in n.idempotency_key]
    assert [n.idempotency_key.split(":")[4] for n in reefer] == ["24h"] * 3, "not the 72 h one as well"
    assert (
        gettext_for("en")("<b>Free time ends within {hours} hours</b> · {reference}").format(
            hours=24, reference="LFD0000000001"
        )
        in reefer[0].text
    )
    assert reefer[0].contact_id == port.contact_ids[0]


async def test_a_moved_lfd_is_warned_of_again_and_a_stopped_clock_is_not(
    db: Database, tmp_path: Path
) -> None:
    port = await _port(db)
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(TARIFF_TOML, encoding="utf-8")
    await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 6), 8, 5), tariff))
    dry = [n for n in await _warnings(db) if DRY in n.idempotency_key]
    assert {n.idempotency_key.rsplit(":", 1)[0] for n in dry} == {
        f"lfd:{port.shipment_id}:{DRY}:demurrage:24h:2026-03-06"
    }
    seen = (await _warnings(db))[-1].id

    # the customer's new agreement gives dry boxes 7 days: LFD 8 March, within 72 h again
    tariff.write_text(AGREED, encoding="utf-8")
    assert (await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 6), 9, 5), tariff)))["warnings"] == 3
    moved = await _warnings(db, seen)
    assert {n.idempotency_key.rsplit(":", 1)[0] for n in moved} == {
        f"lfd:{port.shipment_id}:{DRY}:demurrage:72h:2026-03-08"
    }
    assert "Rule: agreement ACME-2026" in moved[0].text
    seen = moved[-1].id

    # gated out: demurrage stops, detention starts (7 days: LFD 12 March)
    await _add_event(db, port.shipment_id, DRY, CargoEventType.GATE_OUT, at(D(2026, 3, 6), 12))
    assert (await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 7), 23, 5), tariff)))["warnings"] == 0
    await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 10), 1, 5), tariff))
    detention = await _warnings(db, seen)
    assert {n.idempotency_key.rsplit(":", 1)[0] for n in detention} == {
        f"lfd:{port.shipment_id}:{DRY}:detention:72h:2026-03-12"
    }
    assert "Detention: last free day <b>Mar 12, 2026</b>" in detention[0].text
    seen = detention[-1].id

    # the empty box is back: detention stops, and so do its warnings
    await _add_event(db, port.shipment_id, DRY, CargoEventType.EMPTY_RETURNED, at(D(2026, 3, 11), 9))
    await FREE_TIME_ALERTS.run(_ctx(db, at(D(2026, 3, 12), 1, 5), tariff))
    assert [n for n in await _warnings(db, seen) if DRY in n.idempotency_key] == []


def test_the_job_is_registered_hourly_and_searches_only_where_warnings_can_be_due() -> None:
    job = find("free_time_alerts")
    assert job is FREE_TIME_ALERTS
    assert job.period(at(D(2026, 3, 6), 9, 59)) == "2026-03-06T09"
    tariff = load_tariff(None)
    now = at(D(2026, 3, 6), 9)
    after, before = search_window(tariff, now)
    shortest = min(line.free_days for line in tariff.every_line())
    assert before <= now + dt.timedelta(days=3 - shortest + 2)
    assert after <= now - dt.timedelta(days=max(line.free_days for line in tariff.every_line()))


async def test_only_boxes_whose_free_time_can_end_soon_are_read(db: Database, tmp_path: Path) -> None:
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(TARIFF_TOML, encoding="utf-8")
    stories = {
        "running": [(CargoEventType.DISCHARGED, D(2026, 3, 1))],
        "in detention": [
            (CargoEventType.DISCHARGED, D(2026, 3, 1)),
            (CargoEventType.GATE_OUT, D(2026, 3, 2)),
        ],
        "returned": [
            (CargoEventType.DISCHARGED, D(2026, 3, 1)),
            (CargoEventType.GATE_OUT, D(2026, 3, 2)),
            (CargoEventType.EMPTY_RETURNED, D(2026, 3, 3)),
        ],
        "long ago": [(CargoEventType.DISCHARGED, D(2025, 6, 1))],
    }
    ids = {}
    async with db.session() as session:
        customer = await make_customer(session)
        for name, events in stories.items():
            shipment = await make_shipment(
                session, customer, direction=ShipmentDirection.IMPORT, containers=[Container(number=DRY)]
            )
            ids[name] = shipment.id
            for kind, day in events:
                session.add(
                    CargoEvent(
                        shipment_id=shipment.id, container_number=DRY, event_type=kind, occurred_at=at(day)
                    )
                )
        export = await make_shipment(session, customer, containers=[Container(number=REEFER)])
        session.add(  # not an export's clock
            CargoEvent(
                shipment_id=export.id, event_type=CargoEventType.DISCHARGED, occurred_at=at(D(2026, 3, 1))
            )
        )
        await session.commit()
    after, before = search_window(load_tariff(tariff), at(D(2026, 3, 4), 9, 5))
    async with db.session() as session:
        found = await shipments_with_running_clocks(session, started_after=after, started_before=before)
    assert found == [ids["running"], ids["in detention"]]


async def test_the_boxes_of_a_big_bl_share_one_warning_per_recipient(db: Database, tmp_path: Path) -> None:
    """Sixty dry boxes discharged together end their free time together: one message each, not sixty."""
    boxes = [container_number("BIGU", n) for n in range(60)]
    async with db.session() as session:
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=7101)
        shipment = await make_shipment(
            session,
            customer,
            bl_number="LFD0000000060",
            direction=ShipmentDirection.IMPORT,
            containers=[Container(number=box, size_type="22G1") for box in boxes],
        )
        session.add_all(
            [
                ShipmentSubscription(contact_id=contact.id, shipment_id=shipment.id),
                CargoEvent(
                    shipment_id=shipment.id,
                    event_type=CargoEventType.DISCHARGED,
                    occurred_at=at(D(2026, 3, 2)),
                ),
            ]
        )
        await session.commit()
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(TARIFF_TOML, encoding="utf-8")
    moment = at(D(2026, 3, 6), 9, 5)
    await FREE_TIME_ALERTS.run(_ctx(db, moment, tariff))
    await FREE_TIME_ALERTS.run(_ctx(db, moment + dt.timedelta(hours=1), tariff))
    warnings = await _warnings(db)
    assert len(warnings) == 1
    (warning,) = warnings
    assert len(warning.text) < 4096
    assert sum(box in warning.text for box in boxes) == 20
    assert gettext_for("zh_CN")("… and {count} more").format(count=40) in warning.text  # the default language
    assert len(warning.idempotency_key) <= 200
