"""Greetings: festival first days (never Qingming), birthdays with 29 February, anniversaries; opted in."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import Festival
from portcrm.enums import CustomerStatus
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext
from portcrm.jobs.greetings import GREETINGS
from portcrm.jobs.scheduler import PortScheduler
from portcrm.models import ChatUser, Contact, Customer, JobRun, Notification
from portcrm.services.care.greetings import (
    ANNIVERSARY_MANY,
    ANNIVERSARY_ONE,
    BIRTHDAY,
    FESTIVAL_GREETINGS,
    TEAM_SIGNATURE,
)
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer, make_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
SPRING_FESTIVAL_2027 = dt.date(2027, 2, 6)
_telegram_ids = itertools.count(880_001)


def _settings() -> Settings:
    return Settings(_env_file=None, timezone="Asia/Shanghai")


def _ctx(db: Database, day: dt.date) -> JobContext:
    return JobContext(db, _settings(), dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI))


async def _greetable(session: AsyncSession, customer: Customer, **kw: object) -> Contact:
    """A contact who agreed to greetings and is linked to Telegram, unless told otherwise."""
    kw.setdefault("consent_greetings", True)
    kw.setdefault("telegram_user_id", next(_telegram_ids))
    kw.setdefault("is_primary", False)
    return await make_contact(session, customer, **kw)


async def _greetings(db: Database) -> dict[str, Notification]:
    async with db.session() as session:
        rows = await session.scalars(select(Notification).where(Notification.kind == "greeting"))
        return {row.idempotency_key: row for row in rows}


def _text(msgid: str, locale: str, name: str, company: str, signature: str | None, years: int = 0) -> str:
    _ = gettext_for(locale)
    return _(msgid).format(name=name, company=company, signature=signature or _(TEAM_SIGNATURE), years=years)


async def test_spring_festival_greets_each_contact_in_their_language_once(
    db: Database, session: AsyncSession
) -> None:
    manager = await make_staff(session, name="王芳")
    signed = await make_customer(
        session, name="宁波远洋货代有限公司", name_en="Ningbo Ocean Forwarding", account_manager_id=manager.id
    )
    unsigned = await make_customer(session, name="台北航运", name_en=None)
    simplified = await _greetable(session, signed, name="张伟", locale="zh_CN")
    english = await _greetable(session, signed, name="Li & Partners", locale="en")
    traditional = await _greetable(session, unsigned, name="陳大文", locale="zh_TW")
    await session.commit()

    assert await GREETINGS.run(_ctx(db, SPRING_FESTIVAL_2027)) == {
        "spring_festival": 3,
        "birthday": 0,
        "anniversary": 0,
    }
    assert (await GREETINGS.run(_ctx(db, SPRING_FESTIVAL_2027)))["spring_festival"] == 0, (
        "re-run: nothing new"
    )
    sent = await _greetings(db)
    msgid = FESTIVAL_GREETINGS[Festival.SPRING_FESTIVAL]
    expected = {
        simplified.id: _text(msgid, "zh_CN", "张伟", "宁波远洋货代有限公司", "王芳"),
        english.id: _text(msgid, "en", "Li &amp; Partners", "Ningbo Ocean Forwarding", "王芳"),
        traditional.id: _text(msgid, "zh_TW", "陳大文", "台北航运", None),
    }
    assert {key: row.text for key, row in sent.items()} == {
        f"greeting:spring_festival:2027:{contact_id}": text for contact_id, text in expected.items()
    }
    assert sent[f"greeting:spring_festival:2027:{english.id}"].chat_id == english.telegram_user_id
    assert "Spring Festival" in expected[english.id]


async def test_no_greeting_on_qingming_nor_on_the_day_before_the_festival(
    db: Database, session: AsyncSession
) -> None:
    await _greetable(session, await make_customer(session))
    await session.commit()
    for day in (dt.date(2027, 4, 5), dt.date(2026, 4, 5), SPRING_FESTIVAL_2027 - dt.timedelta(days=1)):
        assert await GREETINGS.run(_ctx(db, day)) == {"birthday": 0, "anniversary": 0}, day
    assert await _greetings(db) == {}


async def test_every_greeted_festival_is_greeted_on_its_first_day(
    db: Database, session: AsyncSession
) -> None:
    contact = await _greetable(session, await make_customer(session))
    await session.commit()
    days = {
        Festival.NEW_YEAR: dt.date(2027, 1, 1),
        Festival.DRAGON_BOAT: dt.date(2027, 6, 9),
        Festival.MID_AUTUMN: dt.date(2027, 9, 15),
        Festival.NATIONAL_DAY: dt.date(2027, 10, 1),
    }
    for festival, day in days.items():
        assert (await GREETINGS.run(_ctx(db, day)))[festival.value] == 1
    assert set(await _greetings(db)) == {f"greeting:{f.value}:2027:{contact.id}" for f in days}


async def test_birthdays_with_29_february_kept_on_the_28th_in_common_years(
    db: Database, session: AsyncSession
) -> None:
    customer = await make_customer(session)
    leapling = await _greetable(session, customer, name="闰生", birthday=dt.date(1992, 2, 29))
    twenty_eighth = await _greetable(session, customer, name="二八", birthday=dt.date(1985, 2, 28))
    await _greetable(session, customer, name="三月", birthday=dt.date(1985, 3, 1))
    await session.commit()

    assert (await GREETINGS.run(_ctx(db, dt.date(2027, 2, 28))))["birthday"] == 2
    assert (await GREETINGS.run(_ctx(db, dt.date(2028, 2, 28))))["birthday"] == 1
    assert (await GREETINGS.run(_ctx(db, dt.date(2028, 2, 29))))["birthday"] == 1
    assert set(await _greetings(db)) == {
        f"greeting:birthday:2027:{leapling.id}",
        f"greeting:birthday:2027:{twenty_eighth.id}",
        f"greeting:birthday:2028:{twenty_eighth.id}",
        f"greeting:birthday:2028:{leapling.id}",
    }
    text = (await _greetings(db))[f"greeting:birthday:2028:{leapling.id}"].text
    assert text == _text(BIRTHDAY, "zh_CN", "闰生", customer.name, None)


async def test_only_opted_in_linked_reachable_contacts_of_current_customers(
    db: Database, session: AsyncSession
) -> None:
    customer = await make_customer(session)
    welcome = await _greetable(session, customer)
    await _greetable(session, customer, consent_greetings=False)
    await _greetable(session, customer, telegram_user_id=None)
    blocked = await _greetable(session, customer)
    session.add(
        ChatUser(telegram_user_id=blocked.telegram_user_id, blocked_at=dt.datetime(2027, 1, 2, tzinfo=dt.UTC))
    )
    await _greetable(session, await make_customer(session, status=CustomerStatus.TERMINATED))
    await session.commit()

    assert (await GREETINGS.run(_ctx(db, SPRING_FESTIVAL_2027)))["spring_festival"] == 1
    assert set(await _greetings(db)) == {f"greeting:spring_festival:2027:{welcome.id}"}


async def test_cooperation_anniversaries_greet_the_primary_contact_with_the_years(
    db: Database, session: AsyncSession
) -> None:
    today = dt.date(2027, 3, 10)
    seven = await make_customer(session, name="七年货主", cooperation_since=dt.date(2020, 3, 10))
    primary = await _greetable(session, seven, name="老李", is_primary=True, locale="en")
    await _greetable(session, seven, name="小李")
    one = await make_customer(session, name="一年船公司", cooperation_since=dt.date(2026, 3, 10))
    first = await _greetable(session, one, name="小王", is_primary=True)
    new = await make_customer(session, cooperation_since=today)
    await _greetable(session, new, is_primary=True)
    await session.commit()

    assert (await GREETINGS.run(_ctx(db, today)))["anniversary"] == 2
    sent = await _greetings(db)
    assert set(sent) == {f"greeting:anniversary:2027:{primary.id}", f"greeting:anniversary:2027:{first.id}"}
    assert sent[f"greeting:anniversary:2027:{primary.id}"].text == _text(
        ANNIVERSARY_MANY, "en", "老李", "七年货主", None, years=7
    )
    assert "7 years" in sent[f"greeting:anniversary:2027:{primary.id}"].text
    assert sent[f"greeting:anniversary:2027:{first.id}"].text == _text(
        ANNIVERSARY_ONE, "zh_CN", "小王", "一年船公司", None
    )


async def test_a_restart_around_nine_neither_skips_nor_repeats_the_mornings_greetings(
    database_url: str, session: AsyncSession
) -> None:
    customer = await make_customer(session)
    contacts = [await _greetable(session, customer, birthday=SPRING_FESTIVAL_2027) for _ in range(3)]
    await session.commit()
    first, second = Database(database_url), Database(database_url)
    try:
        nine_oh_five = dt.datetime.combine(SPRING_FESTIVAL_2027, dt.time(9, 5), tzinfo=SHANGHAI)
        schedulers = [PortScheduler(db, _settings(), [GREETINGS]) for db in (first, second)]
        ran = await asyncio.gather(*(s.catch_up(nine_oh_five) for s in schedulers))
        assert sorted(ran) == [[], ["greetings"]]
        assert await schedulers[0].catch_up(nine_oh_five + dt.timedelta(minutes=10)) == []
        async with first.session() as check:
            keys = list(
                await check.scalars(
                    select(Notification.idempotency_key).where(Notification.kind == "greeting")
                )
            )
            runs = list(await check.scalars(select(JobRun.period).where(JobRun.job == "greetings")))
    finally:
        await first.dispose()
        await second.dispose()
    expected = [f"greeting:{kind}:2027:{c.id}" for c in contacts for kind in ("spring_festival", "birthday")]
    assert sorted(keys) == sorted(expected)
    assert runs == ["2027-02-06"]
