"""Finding a customer from what a person types: code, USCC, a contact's phone, a name or its pinyin initials.

Field marketers type on phones, so "nbyy" must find 宁波远洋…: pinyin has no column, it is computed from the
names. A port has at most a few thousand customers, so the whole name index is built in Python and kept in
a one-entry in-process cache keyed by (database, customer count, latest `updated_at`): any insert, update or
delete of a customer changes the key, so a stale index is never used, and a repeated search costs one
aggregate query. Several processes each keep their own copy, which is harmless for a read-only cache.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import InvalidInput
from portcrm.identifiers import normalise_phone
from portcrm.models import Contact, Customer

log = logging.getLogger(__name__)

# ranks, best first
EXACT, PREFIX, SUBSTRING, PINYIN = 0, 1, 2, 3
MAX_QUERY = 100  # longer input matches nothing a person would type, and is not worth scanning for
_PHONE_LIKE = re.compile(r"\+?[\d\s\-()]{7,20}")
_LATIN = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    customer_id: int
    code: str
    name: str
    name_en: str | None
    rank: int  # EXACT, PREFIX, SUBSTRING or PINYIN

    @property
    def exact(self) -> bool:
        """An exact code, USCC or phone match: the one customer meant, whatever else matched."""
        return self.rank == EXACT


@dataclass(frozen=True, slots=True)
class _Entry:
    customer_id: int
    code: str
    name: str
    name_en: str | None
    uscc: str | None
    folded_name: str
    folded_en: str
    initials: str  # 宁波远洋 → "nbyy"; Latin runs are kept whole: ABC物流 → "abcwl"
    pinyin: str  # 宁波远洋 → "ningboyuanyang"


_CacheKey = tuple[str, int, dt.datetime | None]
_cache: dict[_CacheKey, tuple[_Entry, ...]] = {}  # at most one entry: the latest index


def _entry(customer_id: int, code: str, name: str, name_en: str | None, uscc: str | None) -> _Entry:
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).casefold()
    full = "".join(lazy_pinyin(name)).casefold()
    return _Entry(
        customer_id,
        code,
        name,
        name_en,
        uscc,
        name.casefold(),
        (name_en or "").casefold(),
        re.sub(r"[^a-z0-9]", "", initials),
        re.sub(r"[^a-z0-9]", "", full),
    )


async def _index(session: AsyncSession) -> tuple[_Entry, ...]:
    count, latest = (
        await session.execute(select(func.count(Customer.id), func.max(Customer.updated_at)))
    ).one()
    key = (str(session.get_bind().url), int(count), latest)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = await session.execute(
        select(Customer.id, Customer.code, Customer.name, Customer.name_en, Customer.uscc)
    )
    index = tuple(_entry(*row) for row in rows)
    _cache.clear()
    _cache[key] = index
    log.debug("customer search index rebuilt: %d customers", len(index))
    return index


async def _phone_matches(session: AsyncSession, query: str) -> set[int]:
    if not _PHONE_LIKE.fullmatch(query):
        return set()
    try:
        phone = normalise_phone(query)
    except InvalidInput:
        return set()
    return set(await session.scalars(select(Contact.customer_id).where(Contact.phone == phone).distinct()))


def _rank(entry: _Entry, folded: str, compact: str, latin: bool) -> int | None:
    """The best way this customer matches the query, or None."""
    if entry.code.casefold() == folded or (entry.uscc is not None and entry.uscc == compact.upper()):
        return EXACT
    if (
        entry.code.casefold().startswith(folded)
        or entry.folded_name.startswith(folded)
        or entry.folded_en.startswith(folded)
    ):
        return PREFIX
    if folded in entry.folded_name or folded in entry.folded_en:
        return SUBSTRING
    if latin and (compact in entry.initials or entry.pinyin.startswith(compact)):
        return PINYIN
    return None


async def find_customers(session: AsyncSession, query: str, limit: int = 10) -> list[CustomerMatch]:
    """Customers matching the query, best first (exact code/USCC/phone, name prefix, substring, pinyin).

    Any staff member may search: the caller decides who gets here. Ties are broken by name, then id.
    """
    folded = query.strip().casefold()
    if not folded or len(folded) > MAX_QUERY or limit <= 0:
        return []
    compact = re.sub(r"[\s\-]", "", folded)
    latin = bool(_LATIN.fullmatch(compact))
    index = await _index(session)
    by_phone = await _phone_matches(session, query.strip())
    await session.commit()
    found: list[tuple[int, str, int, _Entry]] = []
    for entry in index:
        rank = EXACT if entry.customer_id in by_phone else _rank(entry, folded, compact, latin)
        if rank is not None:
            found.append((rank, entry.name, entry.customer_id, entry))
    found.sort(key=lambda item: item[:3])
    return [
        CustomerMatch(entry.customer_id, entry.code, entry.name, entry.name_en, rank)
        for rank, _name, _id, entry in found[:limit]
    ]
