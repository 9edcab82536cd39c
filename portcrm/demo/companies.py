"""The customer archive: ~200 companies of four types, graded A/B/C in line with volume, credit and years.

Grade reasons are stored as the monthly grading stores them (portcrm/services/grading/scores.py), one per
criterion: `{"criterion", "value", "msgid", "params", "text"}`, the message id and its parameters translated
for each reader, `text` the English fallback; `value` is TEU per year, the credit rating or whole years of
cooperation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portcrm.demo import numbers, vocabulary
from portcrm.demo.context import Company, SeedContext
from portcrm.demo.maritime import EXPORT_CARGO, PORTS, SERVICE_CARGO, Port
from portcrm.demo.personas import PERSONA_COMPANY
from portcrm.enums import CreditRating, CustomerType, Grade, Role
from portcrm.errors import N_
from portcrm.models import Customer
from portcrm.services.grading.facts import Reason

GENERATED: tuple[tuple[CustomerType, int], ...] = (
    (CustomerType.FORWARDER, 88),
    (CustomerType.CARGO_OWNER, 55),
    (CustomerType.SHIPPING_LINE, 16),
    (CustomerType.SERVICE_PROVIDER, 30),
)
GRADE_TARGETS: dict[Grade, int] = {Grade.A: 30, Grade.B: 70, Grade.C: 100}
_HK_TW_GRADES = "BBACBC"  # in the order of vocabulary.HK_TW_COMPANIES; the first is the zh_TW persona's
_FOREIGN_GRADES = "AABB"
_SERVICE_CITIES = ("Ningbo", "Zhoushan")  # warehouses, stevedores and truckers work next to the port

_VOLUME = {Grade.A: (20_000, 150_000), Grade.B: (3_000, 20_000), Grade.C: (100, 3_000)}
_TYPE_SCALE = {
    CustomerType.FORWARDER: 1.0,
    CustomerType.CARGO_OWNER: 0.4,
    CustomerType.SHIPPING_LINE: 3.0,
    CustomerType.SERVICE_PROVIDER: 0.6,
}
_RATINGS = {
    Grade.A: ((CreditRating.AAA, CreditRating.AA, CreditRating.A), (3, 5, 2)),
    Grade.B: ((CreditRating.AA, CreditRating.A, CreditRating.BBB), (1, 4, 4)),
    Grade.C: ((CreditRating.BBB, CreditRating.BB, CreditRating.B, CreditRating.C), (3, 4, 2, 1)),
}
_YEARS = {Grade.A: (6, 20), Grade.B: (2, 10), Grade.C: (0, 4)}
_CAPITAL_WAN = {Grade.A: (5_000, 50_000), Grade.B: (1_000, 5_000), Grade.C: (100, 1_000)}  # 万元
_TERMS = {
    Grade.A: ("月结60天", "月结45天"),
    Grade.B: ("月结45天", "月结30天"),
    Grade.C: ("月结30天", "票结15天", "预付"),
}
_SERVICE_ROUTES = {
    "warehouse": "北仑港区—保税物流园区",
    "stevedoring": "北仑、梅山港区",
    "trucking": "宁波—义乌、宁波—绍兴、宁波—苏州",
}


@dataclass
class _Draft:
    """Who a company is before it is graded: name, kind and place."""

    name: str
    name_en: str
    type: CustomerType
    region: str
    address: str
    city: str  # where its imports are delivered: Hong Kong, Taiwan and foreign firms use Ningbo consignees
    division: str | None  # administrative division in the USCC; None for firms registered off the mainland
    cargo_keys: tuple[str, ...] = ()
    service_key: str | None = None
    grade: Grade | None = None
    persona: str | None = None


def build_companies(ctx: SeedContext) -> list[Company]:
    rng = ctx.rng
    drafts = [_persona_draft(), *_hk_tw_drafts(ctx), *_foreign_drafts()]
    used = {d.name for d in drafts}
    generated = [mainland_draft(ctx, t, used) for t, count in GENERATED for _ in range(count)]
    rng.shuffle(generated)
    pool = [g for g, n in GRADE_TARGETS.items() for _ in range(n - sum(d.grade == g for d in drafts))]
    rng.shuffle(pool)
    for draft, grade in zip(generated, pool, strict=True):
        draft.grade = grade
    marketers = ctx.by_role(Role.MARKET)
    persona_marketer = ctx.persona_staff("marketer")
    companies = []
    for n, draft in enumerate([*drafts, *generated], start=1):
        manager = persona_marketer if draft.persona else rng.choice(marketers)
        companies.append(_company(ctx, draft, f"C{n:05d}", manager.id))
    return companies


def _persona_draft() -> _Draft:
    return _Draft(
        PERSONA_COMPANY,
        "Ningbo Yuanyang Freight Forwarding Co., Ltd.",
        CustomerType.FORWARDER,
        "CN",
        "浙江省宁波市北仑区明州路188号港航大厦12楼",
        "Ningbo",
        "330206",
        ("electronics", "appliances", "furniture"),
        grade=Grade.A,
        persona="customer",
    )


def _hk_tw_drafts(ctx: SeedContext) -> list[_Draft]:
    drafts = []
    for n, (name, name_en, kind, address) in enumerate(vocabulary.HK_TW_COMPANIES):
        keys = tuple(ctx.rng.sample(sorted(EXPORT_CARGO), 2))
        region = "HK" if "香港" in name else "TW"
        grade = Grade(_HK_TW_GRADES[n])
        persona = "customer_tw" if n == 0 else None
        address = address.format(n=ctx.rng.randint(1, 300))
        drafts.append(
            _Draft(
                name,
                name_en,
                CustomerType(kind),
                region,
                address,
                "Ningbo",
                None,
                keys,
                grade=grade,
                persona=persona,
            )
        )
    return drafts


def _foreign_drafts() -> list[_Draft]:
    return [
        _Draft(name, name, CustomerType.SHIPPING_LINE, "INTL", address, "Ningbo", None, grade=Grade(grade))
        for (name, address), grade in zip(vocabulary.FOREIGN_LINES, _FOREIGN_GRADES, strict=True)
    ]


def mainland_draft(ctx: SeedContext, kind: CustomerType, used: set[str]) -> _Draft:
    """A mainland company of `kind` with a name not in `used` (which it joins); leads use these too."""
    rng = ctx.rng
    cities = vocabulary.CITIES
    if kind == CustomerType.SERVICE_PROVIDER:
        cities = tuple(c for c in cities if c.en in _SERVICE_CITIES)
    while True:
        city = rng.choices(cities, weights=[c.weight for c in cities])[0]
        word, pinyin = rng.choice(vocabulary.TRADE_WORDS)
        keys: tuple[str, ...] = ()
        service: str | None = None
        if kind == CustomerType.FORWARDER:
            zh, en = rng.choice(vocabulary.FORWARDER_SUFFIXES)
            keys = tuple(rng.sample(sorted(EXPORT_CARGO), rng.randint(2, 3)))
        elif kind == CustomerType.CARGO_OWNER:
            zh, en, key = rng.choice(vocabulary.CARGO_OWNER_SUFFIXES)
            keys = (key,)
        elif kind == CustomerType.SHIPPING_LINE:
            zh, en = rng.choice(vocabulary.SHIPPING_LINE_SUFFIXES)
        else:
            zh, en, service = rng.choice(vocabulary.SERVICE_SUFFIXES)
        name = f"{city.zh}{word}{zh}"
        if name not in used:
            used.add(name)
            break
    district, division = rng.choice(city.districts)
    address = f"{city.address_prefix}{district}{rng.choice(city.streets)}{rng.randint(1, 999)}号"
    return _Draft(name, f"{city.en} {pinyin} {en}", kind, "CN", address, city.en, division, keys, service)


def _company(ctx: SeedContext, draft: _Draft, code: str, manager_id: int) -> Company:
    rng, grade = ctx.rng, draft.grade or Grade.C
    lo, hi = _VOLUME[grade]
    volume = round(rng.uniform(lo, hi) * _TYPE_SCALE[draft.type] / 50) * 50 or 50
    ratings, weights = _RATINGS[grade]
    rating = rng.choices(ratings, weights=weights)[0]
    y_lo, y_hi = _YEARS[grade]
    since = ctx.days_ago(rng.randint(max(45, y_lo * 365), y_hi * 365 + 300))
    ports = _ports(ctx, draft)
    mainland = draft.region == "CN"
    customer = Customer(
        code=code,
        name=draft.name,
        name_en=draft.name_en,
        type=draft.type,
        uscc=numbers.credit_code(rng, draft.division) if draft.division else None,
        legal_representative=_legal_representative(ctx, draft),
        business_scope=vocabulary.BUSINESS_SCOPES[draft.service_key or draft.type.value],
        founded_on=since - dt.timedelta(days=rng.randint(365, 15 * 365)),
        organisation_form=rng.choice(vocabulary.ORGANISATION_FORMS) if mainland else None,
        registered_capital=Decimal(rng.randint(*_CAPITAL_WAN[grade]) * 10_000) if mainland else None,
        address=draft.address,
        service_area=rng.choice(vocabulary.SERVICE_AREAS),
        cooperation_since=since,
        account_manager_id=manager_id,
        grade=grade,
        grade_reasons=grade_reasons(volume, rating, since, ctx.today),
        graded_at=ctx.office_time(ctx.days_ago(rng.randint(20, 80))),
        annual_volume_teu=volume,
        cargo_types=_cargo_types(draft),
        routes="、".join(f"宁波—{p.zh}" for p in ports) or _SERVICE_ROUTES.get(draft.service_key or ""),
        freight_payment_terms=rng.choice(_TERMS[grade]),
        credit_rating=rating,
        currency="CNY" if mainland else "USD",
        bank_name=rng.choice(vocabulary.BANKS) if mainland else None,
        bank_account=numbers.digits(rng, 19) if mainland else None,
        created_at=ctx.at(since),
    )
    slug = "-".join(re.findall(r"[a-z]+", draft.name_en.lower())[:2])
    domain = "nb-yuanyang.example" if draft.persona == "customer" else f"{slug}.example"
    return Company(customer, draft.city, draft.region, domain, draft.cargo_keys, ports, draft.persona)


def grade_reasons(volume: int, rating: CreditRating, since: dt.date, today: dt.date) -> list[dict[str, Any]]:
    years = (today - since).days // 365
    reasons = (
        ("volume", volume, Reason(N_("Volume: {teu} TEU in the last 12 months"), {"teu": f"{volume:,}"})),
        ("credit", rating.value, Reason(N_("Credit rating: {rating}"), {"rating": rating.value})),
        ("cooperation", years, Reason(N_("Years of cooperation: {years}"), {"years": str(years)})),
    )
    return [
        {"criterion": name, "value": value, "msgid": r.msgid, "params": r.params, "text": r.render()}
        for name, value, r in reasons
    ]


def _ports(ctx: SeedContext, draft: _Draft) -> tuple[Port, ...]:
    if draft.type == CustomerType.SERVICE_PROVIDER:
        return ()
    chosen = ctx.rng.sample(PORTS, ctx.rng.randint(2, 4))
    home = {"HK": "Hong Kong", "TW": "Kaohsiung"}.get(draft.region)
    if home and all(p.name != home for p in chosen):
        chosen[0] = next(p for p in PORTS if p.name == home)
    return tuple(chosen)


def _cargo_types(draft: _Draft) -> str:
    if draft.service_key:
        return SERVICE_CARGO[draft.service_key]
    if draft.type == CustomerType.SHIPPING_LINE:
        return "集装箱（干箱、冷箱）"
    return "、".join(EXPORT_CARGO[k][0] for k in draft.cargo_keys)


def _legal_representative(ctx: SeedContext, draft: _Draft) -> str:
    if draft.region == "INTL":
        return ctx.rng.choice(vocabulary.FOREIGN_REPRESENTATIVES)
    if draft.region != "CN":
        return ctx.rng.choice(vocabulary.TRADITIONAL_NAMES)[0]
    return ctx.rng.choice(vocabulary.SURNAMES)[0] + ctx.rng.choice(vocabulary.GIVEN_NAMES)[0]
