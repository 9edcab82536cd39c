"""Customer search: pinyin initials, phone, USCC, code and names, ranked exact first, kept by every writer."""

from __future__ import annotations

import asyncio
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import Role
from portcrm.importing import import_rows
from portcrm.models import AuditEntry, Customer, SearchGram
from portcrm.search_keys import customer_grams
from portcrm.services.archive import search
from portcrm.services.archive.edits import update_field
from portcrm.services.archive.fields import Editor
from portcrm.services.archive.search import EXACT, PINYIN, PREFIX, SUBSTRING, find_customers
from portcrm.settings import PROJECT_ROOT
from tests.factories import make_contact, make_customer, make_staff
from tests.importing.support import DEFAULT_LOCALE, IMPORTER, PORT_TZ, table

USCC = "91330206MA2H7K1X53"


async def _port(session: AsyncSession) -> dict[str, int]:
    ids = {
        "nbyy": (await make_customer(session, code="NB001", name="宁波远洋运输有限公司", uscc=USCC)).id,
        "zhyy": (
            await make_customer(session, code="ZJ002", name="浙江远洋物流有限公司", name_en="Zhejiang Ocean")
        ).id,
        "cosco": (
            await make_customer(
                session, code="SH003", name="上海中远海运集装箱", name_en="COSCO Shipping Lines"
            )
        ).id,
        "nb0010": (await make_customer(session, code="NB0010", name="北仑港务服务公司")).id,
    }
    shanghai = await session.get_one(Customer, ids["cosco"])
    await make_contact(session, shanghai, name="王经理", phone="+8613857412345")
    await session.commit()
    return ids


async def test_pinyin_initials_find_a_chinese_name(session: AsyncSession) -> None:
    ids = await _port(session)
    found = await find_customers(session, "nbyy")
    assert [(m.customer_id, m.rank) for m in found] == [(ids["nbyy"], PINYIN)]
    assert [m.customer_id for m in await find_customers(session, "NBYY")] == [ids["nbyy"]]
    full = await find_customers(session, "ningboyuan")
    assert [m.customer_id for m in full] == [ids["nbyy"]], "full pinyin from the start of the name"


async def test_a_contacts_phone_finds_the_company_however_it_is_written(session: AsyncSession) -> None:
    ids = await _port(session)
    for typed in ("13857412345", "+86 138-5741-2345", "138 5741 2345"):
        found = await find_customers(session, typed)
        assert [(m.customer_id, m.rank) for m in found] == [(ids["cosco"], EXACT)], typed
    assert await find_customers(session, "13857412346") == []


async def test_uscc_and_code_match_exactly_and_come_first(session: AsyncSession) -> None:
    ids = await _port(session)
    assert [(m.customer_id, m.rank) for m in await find_customers(session, USCC.lower())] == [
        (ids["nbyy"], EXACT)
    ]
    found = await find_customers(session, "nb001")
    assert [(m.customer_id, m.rank) for m in found] == [(ids["nbyy"], EXACT), (ids["nb0010"], PREFIX)]
    assert found[0].exact
    assert not found[1].exact


async def test_names_rank_prefix_before_substring(session: AsyncSession) -> None:
    ids = await _port(session)
    found = await find_customers(session, "远洋")
    assert {m.customer_id for m in found} == {ids["nbyy"], ids["zhyy"]}
    assert {m.rank for m in found} == {SUBSTRING}
    prefix_first = await find_customers(session, "宁波")
    assert [(m.customer_id, m.rank) for m in prefix_first] == [(ids["nbyy"], PREFIX)]
    english = await find_customers(session, "ocean")
    assert [(m.customer_id, m.rank) for m in english] == [(ids["zhyy"], SUBSTRING)]
    assert [m.customer_id for m in await find_customers(session, "cosco")] == [ids["cosco"]]


async def test_a_new_or_renamed_customer_is_found_at_once(session: AsyncSession) -> None:
    ids = await _port(session)
    assert await find_customers(session, "qdgw") == []
    added = await make_customer(session, code="QD009", name="青岛港湾物流")
    await session.commit()
    assert [m.customer_id for m in await find_customers(session, "qdgw")] == [added.id]
    renamed = await session.get_one(Customer, ids["nb0010"])
    renamed.name = "青岛港务集团"
    await session.commit()
    assert {m.customer_id for m in await find_customers(session, "qdg")} == {added.id, ids["nb0010"]}


async def test_empty_and_unmatched_queries_find_nothing(session: AsyncSession) -> None:
    await _port(session)
    assert await find_customers(session, "   ") == []
    assert await find_customers(session, "xyzxyz") == []
    assert len(await find_customers(session, "有限公司", limit=1)) == 1


async def test_english_names_match_from_the_start_in_any_case(session: AsyncSession) -> None:
    ids = await _port(session)
    for typed in ("Zhejiang", "ZHEJIANG OC", "zhejiang ocean"):
        found = await find_customers(session, typed)
        assert [(m.customer_id, m.rank) for m in found] == [(ids["zhyy"], PREFIX)], typed
    shipping = await find_customers(session, "Shipping LINES")
    assert [(m.customer_id, m.rank) for m in shipping] == [(ids["cosco"], SUBSTRING)]


async def test_wildcards_typed_are_plain_characters(session: AsyncSession) -> None:
    await _port(session)
    percent = await make_customer(session, code="PC100", name="百分百100%物流", name_en="Full_Load Logistics")
    await session.commit()
    for typed, rank in (("%", SUBSTRING), ("100%物", SUBSTRING), ("_", SUBSTRING), ("FULL_l", PREFIX)):
        found = await find_customers(session, typed)
        assert [(m.customer_id, m.rank) for m in found] == [(percent.id, rank)], typed
    assert await find_customers(session, "full%") == []
    assert await find_customers(session, "f_ll") == []


async def test_every_writer_of_names_keeps_them_findable(session: AsyncSession) -> None:
    ids = await _port(session)
    market = await make_staff(session, roles=(Role.MARKET,))
    await session.commit()
    set_actor(session, Actor(label=f"staff:{market.id}", source="chat", staff_id=market.id))
    editor = Editor(market.id, market.role_set)
    await update_field(session, ids["zhyy"], "name", "温州瓯江船务有限公司", editor, default_locale="zh_CN")
    await update_field(session, ids["zhyy"], "name_en", "Oujiang Shipping", editor, default_locale="zh_CN")
    assert [m.customer_id for m in await find_customers(session, "wzoj")] == [ids["zhyy"]]
    assert [m.customer_id for m in await find_customers(session, "oujiang")] == [ids["zhyy"]]
    assert await find_customers(session, "zjyy") == []
    assert await find_customers(session, "zhejiang") == []

    rows = "code,name,name_en,type\nTZ007,台州椒江物流有限公司,Taizhou Jiaojiang,货代\n"
    report = await import_rows(
        session, "customers", table(rows), actor=IMPORTER, tz=PORT_TZ, default_locale=DEFAULT_LOCALE
    )
    assert report.created == 1
    imported = await find_customers(session, "tzjj")
    assert [(m.code, m.rank) for m in imported] == [("TZ007", PINYIN)]
    renamed = rows.replace("台州椒江", "舟山定海")
    await import_rows(
        session, "customers", table(renamed), actor=IMPORTER, tz=PORT_TZ, default_locale=DEFAULT_LOCALE
    )
    assert [m.code for m in await find_customers(session, "zsdh")] == ["TZ007"]
    assert await find_customers(session, "tzjj") == []


async def _grams_of_every_customer(session: AsyncSession) -> tuple[set[object], set[object]]:
    """The gram index as stored, and as cut from the keys the customers hold now."""
    stored = {
        tuple(row)
        for row in await session.execute(select(SearchGram.customer_id, SearchGram.kind, SearchGram.gram))
    }
    c = Customer
    keys = await session.execute(select(c.id, c.search_name, c.search_name_en, c.search_initials))
    return stored, {(row.id, *gram) for row in keys for gram in customer_grams(*row[1:])}


async def test_the_gram_index_follows_every_write(session: AsyncSession) -> None:
    ids = await _port(session)
    market = await make_staff(session, roles=(Role.MARKET,))
    await session.commit()
    set_actor(session, Actor(label=f"staff:{market.id}", source="chat", staff_id=market.id))
    editor = Editor(market.id, market.role_set)
    assert [m.customer_id for m in await find_customers(session, "远洋物流")] == [ids["zhyy"]]
    await update_field(session, ids["zhyy"], "name", "温州瓯江船务有限公司", editor, default_locale="zh_CN")
    (await session.get_one(Customer, ids["zhyy"])).name_en = None
    (await session.get_one(Customer, ids["cosco"])).name_en = "Cosco Container Lines"
    await session.commit()
    rows = "code,name,name_en,type\nTZ007,台州椒江物流有限公司,Taizhou Jiaojiang,货代\n"
    await import_rows(
        session, "customers", table(rows), actor=IMPORTER, tz=PORT_TZ, default_locale=DEFAULT_LOCALE
    )
    await import_rows(
        session,
        "customers",
        table(rows.replace("椒江", "黄岩")),
        actor=IMPORTER,
        tz=PORT_TZ,
        default_locale=DEFAULT_LOCALE,
    )
    stored, expected = await _grams_of_every_customer(session)
    assert stored == expected, "no gram missing, none left from an old name"
    assert [(m.customer_id, m.rank) for m in await find_customers(session, "瓯江船")] == [
        (ids["zhyy"], SUBSTRING)
    ]
    assert [m.customer_id for m in await find_customers(session, "zoj")] == [ids["zhyy"]], "new initials"
    assert await find_customers(session, "远洋物流") == [], "old name"
    assert await find_customers(session, "jyyw") == [], "old initials"
    assert [m.customer_id for m in await find_customers(session, "container")] == [ids["cosco"]]
    assert await find_customers(session, "shipping") == []
    assert [m.code for m in await find_customers(session, "黄岩物")] == ["TZ007"]
    assert await find_customers(session, "椒江") == []


@pytest.mark.parametrize("typed", ["洋", "远洋", "y", "yy", "o", "oc", "%", "港务", "g", "g oc", "远洋运"])
async def test_short_queries_find_the_same_rare_or_common(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    """Shorter than a gram: a rare query is looked up in the grams, a common one read in id order."""
    await _port(session)
    await make_customer(session, code="PC100", name="百分百100%物流", name_en="Full_Load Logistics")
    await session.commit()
    looked_up = [(m.customer_id, m.rank) for m in await find_customers(session, typed, limit=3)]
    monkeypatch.setattr(search, "COMMON", 1)
    assert [(m.customer_id, m.rank) for m in await find_customers(session, typed, limit=3)] == looked_up
    assert looked_up, typed


async def test_search_keys_stay_out_of_the_audit_log(session: AsyncSession) -> None:
    ids = await _port(session)
    renamed = await session.get_one(Customer, ids["nb0010"])
    renamed.name = "北仑港务集团"
    await session.commit()
    fields = set(await session.scalars(select(AuditEntry.field).where(AuditEntry.entity_id == ids["nb0010"])))
    assert "name" in fields
    assert not {field for field in fields if field.startswith("search_")}


SEARCH_ONLY = """
import asyncio, sys
import bot.runtime.app
from portcrm.storage.db import Database
from portcrm.services.archive.search import find_customers

async def main(url):
    database = Database(url)
    async with database.session() as session:
        found = await find_customers(session, sys.argv[2])
    await database.dispose()
    print(" ".join(m.code for m in found), "pypinyin" in sys.modules)

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.slow
async def test_a_process_that_only_searches_never_loads_pypinyin(
    session: AsyncSession, database_url: str
) -> None:
    """pypinyin's dictionaries are 55 MB of a bot's memory: only writing a name may load them."""
    await _port(session)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SEARCH_ONLY, database_url, "nbyy",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=PROJECT_ROOT,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert out.decode().split() == ["NB001", "False"]


async def test_a_full_page_takes_the_first_by_the_key_matched_then_the_oldest(session: AsyncSession) -> None:
    ids = await _port(session)
    later = await make_customer(session, code="NB0002", name="东海远洋货运")
    await session.commit()
    by_code = await find_customers(session, "nb00", limit=2)
    assert [(m.code, m.rank) for m in by_code] == [("NB0002", PREFIX), ("NB001", PREFIX)], "not NB0010"
    oldest = await find_customers(session, "远洋", limit=2)
    assert [(m.customer_id, m.rank) for m in oldest] == [(ids["nbyy"], SUBSTRING), (ids["zhyy"], SUBSTRING)]
    everyone = await find_customers(session, "远洋")
    assert [m.customer_id for m in everyone] == [later.id, ids["nbyy"], ids["zhyy"]], "all fit: by name"


async def test_after_an_exact_match_only_prefixes_are_listed(session: AsyncSession) -> None:
    ids = await _port(session)
    inside = await make_customer(session, code="ZS005", name="舟山nb001代理")
    await session.commit()
    found = await find_customers(session, "NB001")
    assert [(m.customer_id, m.rank) for m in found] == [(ids["nbyy"], EXACT), (ids["nb0010"], PREFIX)]
    assert [(m.customer_id, m.rank) for m in await find_customers(session, "nb001代")] == [
        (inside.id, SUBSTRING)
    ]
