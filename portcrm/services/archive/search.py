"""Finding a customer from what a person types: code, USCC, a contact's phone, a name, its pinyin or initials.

Field marketers type on phones, so "nbyy" must find 宁波远洋…. The keys matched are stored beside each
customer in indexed columns (`portcrm/search_keys.py`, kept by `Customer`'s validator), so a search is a
few LIMITed statements whatever the size of the archive, and a process that only searches never loads
pypinyin. Matches come in tiers, best first; a later tier runs only if the earlier ones left room:
exact (code, USCC, phone) and prefix (code, names) are index lookups and ranges; substring and initials
matches go through the gram index (`portcrm/models/search_index.py`): the customers holding the query's
rarest gram, read in id order, each checked for the others and for the match itself.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portcrm.errors import InvalidInput
from portcrm.identifiers import normalise_phone
from portcrm.models import Contact, Customer, SearchGram
from portcrm.search_keys import INITIALS, NAMES, fold, query_grams
from portcrm.storage.transaction import transactional

# ranks, best first
EXACT, PREFIX, SUBSTRING, PINYIN = 0, 1, 2, 3
MAX_QUERY = 100  # longer input matches nothing a person would type, and is not worth scanning for
_PHONE_LIKE = re.compile(r"\+?[\d\s\-()]{7,20}")
_LATIN = re.compile(r"[a-z]+")
COMMON = 1000  # a short query's windows are counted up to this many; one this common is found by a scan
RARE = 200  # a gram's rows are counted up to this many: enough to tell the rarest (counting reads rows)
MAX_GRAMS = 16  # grams of a long query looked up; the match itself is checked on every row found anyway


@dataclass(frozen=True, slots=True)
class _Anywhere:
    """A match of `text` anywhere in keys of `kind`: the gram lookups that find it, the condition it is."""

    kind: str
    text: str
    condition: ColumnElement[bool]  # checked on every customer the grams find

    @property
    def grams(self) -> list[str]:
        grams = query_grams(self.text)
        if len(grams) > MAX_GRAMS:  # spread over the query, first and last included
            grams = [grams[i * (len(grams) - 1) // (MAX_GRAMS - 1)] for i in range(MAX_GRAMS)]
        return grams

    def lookups(self) -> list[str | ColumnElement[bool]]:
        """Its grams; or a query shorter than a gram starts one of the windows stored where it occurs."""
        return [*self.grams] or [_starts_with(SearchGram.gram, self.text)]


def _capped(kind: Any, condition: ColumnElement[bool], cap: int = RARE) -> ColumnElement[int]:
    """How many rows of `kind` meet `condition` (on the gram), counted up to `cap`."""
    t = SearchGram.__table__.c
    hits = select(t.customer_id).where(t.kind == kind, condition).limit(cap).subquery()
    return select(func.count()).select_from(hits).scalar_subquery()


@functools.cache
def _counting(size: int) -> Select[Any]:
    """`size` grams counted (binds k0, g0, k1, g1…): built once per size, not at each search, where
    building it took more time than running it."""
    gram = SearchGram.__table__.c.gram
    return select(*(_capped(bindparam(f"k{i}"), gram == bindparam(f"g{i}")) for i in range(size)))


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


def _starts_with(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """`column` starts with `text`, as an index range: the keys sort by code point on both databases."""
    after = ord(text[-1]) + 1
    if 0xD800 <= after <= 0xDFFF:  # surrogates are not characters: the next one is U+E000
        after = 0xE000
    if after > 0x10FFFF:
        return and_(column >= text, column.startswith(text, autoescape=True))
    return and_(column >= text, column < text[:-1] + chr(after))


async def _phone_matches(session: AsyncSession, query: str) -> list[int]:
    if not _PHONE_LIKE.fullmatch(query):
        return []
    try:
        phone = normalise_phone(query)
    except InvalidInput:
        return []
    return list(await session.scalars(select(Contact.customer_id).where(Contact.phone == phone).distinct()))


class _Ranking:
    """Customer id → best rank, for at most `limit` customers; each statement reads no more than it needs."""

    def __init__(self, session: AsyncSession, limit: int) -> None:
        self.session, self.limit, self.ranks = session, limit, dict[int, int]()

    @property
    def room(self) -> int:
        return self.limit - len(self.ranks)

    async def exact_then_prefixes(
        self, exact: ColumnElement[bool], keys: list[ColumnElement[str]], text: str
    ) -> None:
        """Exact matches by id, then prefix matches of each key in turn by that key: one statement.

        Each part reads its first `limit`: after those ranked before, the first `room` left are among them.
        """
        c = Customer
        parts = [
            select(literal(0).label("part"), c.id, c.search_code.label("key")).where(exact).order_by(c.id)
        ]
        parts += [
            select(literal(n).label("part"), c.id, key.label("key"))
            .where(_starts_with(key, text))
            .order_by(key, c.id)
            for n, key in enumerate(keys, 1)
        ]
        union = union_all(*(select(part.limit(self.limit).subquery()) for part in parts))
        rows = await self.session.execute(union)
        for row in sorted(rows, key=lambda row: (row.part, row.part and row.key, row.id)):
            if self.room > 0 and row.id not in self.ranks:
                self.ranks[row.id] = EXACT if row.part == 0 else PREFIX

    async def first(self, condition: ColumnElement[bool]) -> list[int]:
        """Up to `room` new matches by id: the read stops at the last."""
        query = select(Customer.id).where(condition, Customer.id.not_in(self.ranks)).order_by(Customer.id)
        return list(await self.session.scalars(query.limit(self.room))) if self.room > 0 else []

    def take_all(self, rank: int, *found: list[int]) -> None:
        """The first `room` of the customers found, by id: each list holds its own first `room`."""
        for customer_id in sorted(set().union(*found))[: max(self.room, 0)]:
            self.ranks[customer_id] = rank

    async def counts(self, wanted: list[_Anywhere]) -> list[list[int]]:
        """Rows of each lookup (RARE at most for a gram, COMMON for a range), in one statement."""
        lookups = [(match.kind, lookup) for match in wanted for lookup in match.lookups()]
        if all(isinstance(lookup, str) for _, lookup in lookups):
            values = {f"k{i}": kind for i, (kind, _) in enumerate(lookups)}
            values |= {f"g{i}": gram for i, (_, gram) in enumerate(lookups)}
            found = (await (await self.session.connection()).execute(_counting(len(lookups)), values)).one()
        else:  # a query shorter than a gram: a range each, one or two, cheap to build
            gram = SearchGram.__table__.c.gram
            capped = (
                _capped(k, gram == v) if isinstance(v, str) else _capped(k, v, COMMON) for k, v in lookups
            )
            found = (await self.session.execute(select(*capped))).one()
        row = iter(found)
        return [[next(row) for _ in match.lookups()] for match in wanted]

    async def containing(self, match: _Anywhere, counts: list[int]) -> list[int]:
        """Up to `room` new customers matching anywhere, by id: the rarest gram's, checked for the rest."""
        if self.room <= 0 or 0 in counts:
            return []
        g, c = SearchGram, Customer
        grams = match.grams
        if not grams:
            if counts[0] >= COMMON:  # so common that reading customers in id order soon finds a page
                return await self.first(match.condition)
            within = _starts_with(g.gram, match.text)
            query = select(g.customer_id).distinct().where(g.kind == match.kind, within)
        else:
            rarest, *others = (gram for _, gram in sorted(zip(counts, grams, strict=True)))
            other = aliased(SearchGram)
            query = select(g.customer_id).where(
                g.kind == match.kind,
                g.gram == rarest,
                *(
                    select(other.customer_id)
                    .where(other.kind == match.kind, other.gram == gram, other.customer_id == g.customer_id)
                    .exists()
                    for gram in others
                ),
            )
        query = query.join(c, c.id == g.customer_id).where(match.condition, c.id.not_in(self.ranks))
        return list(await self.session.scalars(query.order_by(g.customer_id).limit(self.room)))


@transactional
async def find_customers(session: AsyncSession, query: str, limit: int = 10) -> list[CustomerMatch]:
    """Customers matching the query, best first (exact code/USCC/phone, prefix, substring, pinyin), by name.

    Any staff member may search: the caller decides who gets here. Ties are broken by name, then id.
    An exact match is the customer meant: only prefix matches are listed after it. When a rank has more
    matches than fit, those taken are the first by the key matched (code, name or English name for
    prefixes) or the oldest customers (substring, pinyin): reading them in name order would visit most
    of the table for a rare match.
    """
    folded = fold(query.strip())
    if not folded or len(folded) > MAX_QUERY or limit <= 0:
        return []
    compact = re.sub(r"[\s\-]", "", folded)
    c, ranking = Customer, _Ranking(session, limit)
    by_phone = await _phone_matches(session, query.strip())
    exact = or_(c.search_code == folded, c.uscc == compact.upper(), c.id.in_(by_phone))
    await ranking.exact_then_prefixes(exact, [c.search_code, c.search_name, c.search_name_en], folded)
    if ranking.room > 0 and EXACT not in ranking.ranks.values():  # an exact match is the one meant
        names = c.search_name.contains(folded, autoescape=True)
        anywhere = [_Anywhere(NAMES, folded, or_(names, c.search_name_en.contains(folded, autoescape=True)))]
        if _LATIN.fullmatch(compact):
            anywhere.append(
                _Anywhere(INITIALS, compact, c.search_initials.contains(compact, autoescape=True))
            )
        counts = await ranking.counts(anywhere)
        ranking.take_all(SUBSTRING, await ranking.containing(anywhere[0], counts[0]))
        if len(anywhere) > 1 and ranking.room > 0:
            pinyin = await ranking.first(_starts_with(c.search_pinyin, compact))
            ranking.take_all(PINYIN, await ranking.containing(anywhere[1], counts[1]), pinyin)
    rows = await session.execute(select(c.id, c.code, c.name, c.name_en).where(c.id.in_(ranking.ranks)))
    found = [CustomerMatch(*row, ranking.ranks[row.id]) for row in rows]
    return sorted(found, key=lambda m: (m.rank, m.name, m.customer_id))
