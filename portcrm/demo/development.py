"""Customer development: leads in every stage (some won and converted), an agreement per A/B customer.

`Agreement.discount_rate` is written as a percentage (5.00 means 5 %): the column keeps two decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portcrm.demo import numbers, vocabulary
from portcrm.demo.companies import mainland_draft
from portcrm.demo.context import Company, SeedContext
from portcrm.demo.texts import AGREEMENT_SERVICES, AGREEMENT_TITLES, LEAD_NOTES, LEAD_SOURCE_DETAILS
from portcrm.enums import AgreementStatus, CustomerType, Grade, LeadSource, LeadStatus, Role
from portcrm.models import Agreement, Lead

LEAD_COUNTS = {
    LeadStatus.NEW: 8,
    LeadStatus.CONTACTED: 7,
    LeadStatus.NEGOTIATING: 6,
    LeadStatus.WON: 5,
    LeadStatus.LOST: 4,
}
_LEAD_AGE_DAYS = {
    LeadStatus.NEW: (1, 20),
    LeadStatus.CONTACTED: (10, 60),
    LeadStatus.NEGOTIATING: (20, 120),
    LeadStatus.LOST: (30, 180),
}
_LEAD_TYPES = (
    (CustomerType.FORWARDER, 40),
    (CustomerType.CARGO_OWNER, 40),
    (CustomerType.SHIPPING_LINE, 5),
    (CustomerType.SERVICE_PROVIDER, 15),
)
_TERMS = "年度货量承诺{commitment:,} TEU；装卸费优惠{discount}%；{payment}"
_DISCOUNT = {Grade.A: (10, 24), Grade.B: (2, 12)}  # in half percents


def build_leads(ctx: SeedContext) -> list[Lead]:
    rng = ctx.rng
    marketers = ctx.by_role(Role.MARKET)
    used = {c.customer.name for c in ctx.companies}
    won = _converted(ctx, LEAD_COUNTS[LeadStatus.WON])
    leads = []
    statuses = [s for s, count in LEAD_COUNTS.items() for _ in range(count)]
    for status, source in zip(statuses, ctx.spread(list(LeadSource), len(statuses)), strict=True):
        detail = rng.choice(LEAD_SOURCE_DETAILS[source])
        if source == LeadSource.REFERRAL:
            detail = f"{rng.choice(ctx.companies).customer.name}{detail}"
        lead = Lead(source=source, source_detail=detail, status=status, notes=rng.choice(LEAD_NOTES))
        lead.owner_id = rng.choice(marketers).id
        if status == LeadStatus.WON and won:
            _convert(ctx, lead, won.pop())
        else:
            kind = rng.choices([t for t, _ in _LEAD_TYPES], weights=[w for _, w in _LEAD_TYPES])[0]
            surname, given = rng.choice(vocabulary.SURNAMES)[0], rng.choice(vocabulary.GIVEN_NAMES)[0]
            lead.company_name, lead.customer_type = mainland_draft(ctx, kind, used).name, kind
            lead.contact_name, lead.phone = surname + given, numbers.mobile(rng)
            lead.expected_volume_teu = rng.randint(4, 160) * 50
            created = ctx.days_ago(rng.randint(*_LEAD_AGE_DAYS.get(status, (30, 90))))
            lead.created_at = ctx.office_time(created)
            lead.updated_at = ctx.office_time(
                created + dt.timedelta(days=rng.randint(0, (ctx.today - created).days - 1))
            )
        leads.append(lead)
    return leads


def _converted(ctx: SeedContext, count: int) -> list[Company]:
    """New C customers who started within the last year: the won leads became them."""
    recent = [
        c
        for c in ctx.companies
        if c.customer.grade == Grade.C
        and c.customer.cooperation_since
        and ctx.days_ago(330) <= c.customer.cooperation_since <= ctx.days_ago(30)
    ]
    return recent[:count]


def _convert(ctx: SeedContext, lead: Lead, company: Company) -> None:
    customer, rng = company.customer, ctx.rng
    since = customer.cooperation_since or ctx.today
    lead.company_name, lead.customer_type = customer.name, customer.type
    lead.contact_name, lead.phone = company.primary.name, company.primary.phone
    lead.expected_volume_teu = customer.annual_volume_teu
    lead.converted_customer_id = customer.id
    lead.created_at = ctx.office_time(since - dt.timedelta(days=rng.randint(20, 90)))
    lead.updated_at = ctx.office_time(since)


def build_agreements(ctx: SeedContext) -> list[Agreement]:
    """Mostly active; some expired awaiting renewal, some drafts; a few are due for review about now."""
    rng, today = ctx.rng, ctx.today
    agreements = []
    for company in (c for c in ctx.companies if c.customer.grade in _DISCOUNT):
        customer = company.customer
        years = rng.choice((1, 2, 3))
        chance = rng.random()
        if chance < 0.07:  # ran out last month or two; the renewal is being negotiated
            status, valid_to = AgreementStatus.EXPIRED, ctx.days_ago(rng.randint(1, 60))
            valid_from = valid_to - dt.timedelta(days=365 * years - 1)
        else:
            if chance < 0.14 and customer.grade == Grade.B:
                status, valid_from = AgreementStatus.DRAFT, today + dt.timedelta(days=rng.randint(10, 40))
            else:
                status, valid_from = AgreementStatus.ACTIVE, ctx.days_ago(rng.randint(30, 365 * years - 30))
            valid_to = valid_from + dt.timedelta(days=365 * years - 1)
        signed = (
            valid_from - dt.timedelta(days=rng.randint(3, 20)) if status != AgreementStatus.DRAFT else None
        )
        review = valid_from + dt.timedelta(days=365)
        if status == AgreementStatus.ACTIVE:
            while review < today - dt.timedelta(days=30):
                review += dt.timedelta(days=365)
            review = min(review, valid_to - dt.timedelta(days=30))
        if company.persona == "customer":
            review = today + dt.timedelta(days=10)  # the manager persona sees a review coming up
        commitment = round((customer.annual_volume_teu or 0) * rng.uniform(0.6, 0.9) / 100) * 100
        discount = Decimal(rng.randint(*_DISCOUNT[customer.grade])) / 2
        agreements.append(
            Agreement(
                number=f"AG-{valid_from.year}-{customer.code}",
                customer_id=customer.id,
                title=AGREEMENT_TITLES[2] if customer.grade == Grade.A else rng.choice(AGREEMENT_TITLES[:2]),
                services=AGREEMENT_SERVICES,
                terms=_TERMS.format(
                    commitment=commitment, discount=discount, payment=customer.freight_payment_terms
                ),
                signed_on=signed,
                valid_from=valid_from,
                valid_to=valid_to,
                next_review_on=None if status == AgreementStatus.EXPIRED else review,
                status=status,
                annual_volume_commitment_teu=commitment,
                discount_rate=discount,
                created_at=ctx.office_time(min(signed or today, today - dt.timedelta(days=1))),
            )
        )
    return agreements
