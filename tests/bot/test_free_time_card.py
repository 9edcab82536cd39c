"""/track shows each box's Last Free Day and what demurrage and detention have accrued, itemised."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_currency
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.pipeline.i18n import build_i18n
from bot.ui.views.free_time import free_time_section, shown_length
from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.models import CargoEvent, Container
from portcrm.services.tracking import status_cards
from portcrm.services.tracking.free_time.milestones import box_free_time
from portcrm.settings import ConfigError
from tests.factories import container_number, make_contact, make_customer, make_shipment
from tests.free_time.support import TARIFF_TOML, at, rules
from tests.free_time.support import settings as port_settings
from tests.harness import RunningBot, running_bot

D = dt.date
NOW = at(D(2026, 3, 11), 10)
DRY, REEFER, UNKNOWN = (container_number("MSKU", 1), container_number("MSKU", 2), container_number("MSKU", 3))
AGREEMENT = TARIFF_TOML.replace('reference = "ACME-2026"', 'reference = "ACME <2026>"')
RULES = rules(AGREEMENT)
I18N = build_i18n(port_settings())


@pytest.fixture
async def app(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningBot]:
    """The bot with the test tariff, on a card clock stopped at 10:00 on 11 March 2026."""
    monkeypatch.setattr(status_cards, "utcnow", lambda: NOW.astimezone(dt.UTC))
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(AGREEMENT, encoding="utf-8")
    async with running_bot(database_url, tariff_file=tariff) as running:
        yield running


def _event(shipment_id: int, box: str, kind: CargoEventType, moment: dt.datetime) -> CargoEvent:
    return CargoEvent(shipment_id=shipment_id, container_number=box, event_type=kind, occurred_at=moment)


async def _import(app: RunningBot) -> None:
    """ACME's import: a dry box gated out on 2 March, a reefer still in the yard, a box of unknown type."""
    async with app.db.session() as session:
        acme = await make_customer(session, code="ACME")
        for user_id in (8301, 8302, 8303):
            await make_contact(session, acme, telegram_user_id=user_id)
        shipment = await make_shipment(
            session,
            acme,
            bl_number="FREE000000001",
            direction=ShipmentDirection.IMPORT,
            containers=[
                Container(number=DRY, size_type="22G1"),
                Container(number=REEFER, size_type="45R1"),
                Container(number=UNKNOWN),
            ],
        )
        discharged = at(D(2026, 2, 13))  # the Friday before the Spring Festival
        session.add_all(
            [
                _event(shipment.id, "", CargoEventType.DISCHARGED, discharged),  # the whole shipment
                _event(shipment.id, DRY, CargoEventType.GATE_OUT, at(D(2026, 3, 2), 14)),
            ]
        )
        await session.commit()


def _money(amount: str, locale: str) -> str:
    return format_currency(Decimal(amount), "CNY", locale=locale)


async def test_the_card_itemises_demurrage_and_detention_in_each_language(app: RunningBot) -> None:
    await _import(app)
    card = await app.say(app.user(8301, language_code="en"), "/track FREE000000001")
    text = card.text
    assert text is not None
    section = text[text.index("Free time and charges") : text.index("Latest events")]
    en = "en"
    discharged = CARGO_EVENT_NAMES[CargoEventType.DISCHARGED]
    gate_out = CARGO_EVENT_NAMES[CargoEventType.GATE_OUT]
    dry = section[section.index(f"▫️ {DRY}") : section.index(f"▫️ {REEFER}")]
    assert dry.splitlines() == [
        f"▫️ {DRY} · 20' dry",
        f"Demurrage: last free day Feb 26, 2026 · stopped Mar 2, 2026 ({gate_out})",
        f"Available Feb 13, 2026 ({discharged}) · free time 5 working days: Feb 13, 2026 – Feb 26, 2026",
        f"Accrued to Mar 2, 2026: {_money('500', en)}",
        f"• Feb 27, 2026 – Mar 1, 2026: 3 days × {_money('100', en)} = {_money('300', en)}",
        f"• Mar 2, 2026 – Mar 2, 2026: 1 day × {_money('200', en)} = {_money('200', en)}",
        "Rule: agreement ACME <2026>",
        "Detention: last free day Mar 8, 2026 · charges are running",
        f"Started Mar 2, 2026 ({gate_out}) · free time 7 calendar days: Mar 2, 2026 – Mar 8, 2026",
        f"Accrued to Mar 11, 2026: {_money('150', en)}",
        f"• Mar 9, 2026 – Mar 11, 2026: 3 days × {_money('50', en)} = {_money('150', en)}",
        "Rule: port tariff TEST-1",
    ]
    reefer = section[section.index(f"▫️ {REEFER}") : section.index(f"▫️ {UNKNOWN}")].splitlines()
    assert reefer[0] == f"▫️ {REEFER} · 40' reefer"
    assert reefer[1].startswith("Demurrage: last free day Feb 15, 2026 · charges are running")
    assert f"Accrued to Mar 11, 2026: {_money('27600', en)}" in reefer  # 2 x 600 + 22 x 1200
    assert f"• Feb 18, 2026 – Mar 11, 2026: 22 days × {_money('1200', en)} = {_money('26400', en)}" in reefer
    assert "Rule: port tariff TEST-1" in reefer, "the agreement names dry boxes only"
    assert section.rstrip().endswith(f"▫️ {UNKNOWN}\nfree time not counted: size and type unknown")

    for user_id, language, locale in ((8302, "zh-hans", "zh_CN"), (8303, "zh-hant", "zh_TW")):
        _ = gettext_for(locale)
        card = await app.say(app.user(user_id, language_code=language), "/track FREE000000001")
        assert card.text is not None
        assert _("Free time and charges") in card.text
        assert _("Demurrage") + "：" in card.text
        assert "2026年2月26日" in card.text
        working = "5 个工作日" if locale == "zh_CN" else "5 個工作日"
        assert working in card.text
        assert _("agreement {reference}").format(reference="ACME <2026>") in card.text
        assert _money("27600", locale) in card.text
        assert "Free time" not in card.text
        assert "Rule:" not in card.text


async def test_a_shipment_before_discharge_shows_no_free_time(app: RunningBot) -> None:
    async with app.db.session() as session:
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=8311)
        await make_shipment(
            session,
            customer,
            bl_number="FREE000000002",
            direction=ShipmentDirection.IMPORT,
            containers=[Container(number=DRY, size_type="22G1")],
        )
        await session.commit()
    card = await app.say(app.user(8311, language_code="en"), "/track FREE000000002")
    assert card.text is not None
    assert "Free time" not in card.text


async def test_a_ships_worth_of_boxes_is_summarised_within_telegrams_limit(app: RunningBot) -> None:
    async with app.db.session() as session:
        customer = await make_customer(session, code="ACME")
        await make_contact(session, customer, telegram_user_id=8321)
        boxes = [container_number("BIGU", n) for n in range(60)]
        shipment = await make_shipment(
            session,
            customer,
            bl_number="FREE000000003",
            direction=ShipmentDirection.IMPORT,
            cargo_description="<&>" * 166,
            vessel_name="V" * 100,
            voyage="9" * 32,
            containers=[
                Container(number=box, size_type="45R1" if n % 2 else "22G1") for n, box in enumerate(boxes)
            ],
        )
        for n, box in enumerate(boxes):
            session.add(_event(shipment.id, box, CargoEventType.DISCHARGED, at(D(2026, 2, 13), 8)))
            if n % 3 == 0:
                session.add(_event(shipment.id, box, CargoEventType.GATE_OUT, at(D(2026, 3, 2), 8 + n % 10)))
        for hour in range(12):
            location = "码头" * 50
            session.add(
                CargoEvent(
                    shipment_id=shipment.id,
                    event_type=CargoEventType.INSPECTED,
                    occurred_at=at(D(2026, 3, 3), hour),
                    location=location,
                )
            )
        await session.commit()
    for user_id, language, locale in ((8321, "en", "en"), (8321, "zh-hant", "zh_TW")):
        _ = gettext_for(locale)
        card = await app.say(app.user(user_id, language_code=language), "/track FREE000000003")
        assert card.text is not None
        assert len(card.text.encode("utf-16-le")) // 2 <= 4096
        lines = card.text.splitlines()
        itemised = [line for line in lines if line.startswith("▫️ BIGU")]
        summaries = [line for line in lines if line.startswith("• BIGU")]
        assert len(summaries) >= 5, "the boxes are summarised, a line each, when too many to itemise"
        assert all(lines.index(i) < lines.index(summaries[0]) for i in itemised), "in order"
        assert lines[lines.index(summaries[-1]) + 1] == _("… and {count} more").format(
            count=60 - len(itemised) - len(summaries)
        )
        assert _("Latest events") in card.text


async def test_a_bad_tariff_file_stops_the_bot_at_start_up(database_url: str, tmp_path: Path) -> None:
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(TARIFF_TOML.replace("free_days = 7", "free_days = -1"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"PORTCRM_TARIFF_FILE: .*lines\[2\]: free_days -1 must be"):
        async with running_bot(database_url, tariff_file=tariff):
            pytest.fail("the bot started")


BOX_EVENTS = st.lists(
    st.tuples(
        st.sampled_from([CargoEventType.DISCHARGED, CargoEventType.GATE_OUT, CargoEventType.EMPTY_RETURNED]),
        st.integers(min_value=0, max_value=60),
    ),
    max_size=3,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    boxes=st.lists(st.tuples(st.sampled_from(["22G1", "45R1", "L5U1", None]), BOX_EVENTS), max_size=40),
    room=st.integers(min_value=0, max_value=4096),
    locale=st.sampled_from(["en", "zh_CN", "zh_TW"]),
)
def test_the_section_never_takes_more_than_the_room_it_is_given(
    boxes: list[tuple[str | None, list[tuple[CargoEventType, int]]]], room: int, locale: str
) -> None:
    start = at(D(2026, 1, 20))
    found = tuple(
        box
        for n, (size_type, events) in enumerate(boxes)
        if (
            box := box_free_time(
                container_number("PROP", n),
                size_type,
                [(kind, start + dt.timedelta(days=days)) for kind, days in events],
                direction=ShipmentDirection.IMPORT,
                customer_code="ACME",
                rules=RULES,
                now=NOW,
            )
        ).started
    )
    with I18N.context(), I18N.use_locale(locale):
        section = free_time_section(found, locale, room)
    if section:
        assert shown_length("\n".join(section)) + 1 <= room
        plain = [re.sub(r"<[^>]*>", "", line) for line in section]
        counted = sum(line.startswith(("▫️ PROP", "• PROP")) for line in plain)
        if counted < len(found):
            assert re.search(rf"\b{len(found) - counted}\b", plain[-1]), "the rest are counted"
    else:
        assert not found or room < 200
