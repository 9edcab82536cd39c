"""Customer search: pinyin initials, phone, USCC, code and names, ranked exact first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Customer
from portcrm.services.search import EXACT, PINYIN, PREFIX, SUBSTRING, find_customers
from tests.factories import make_contact, make_customer

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
