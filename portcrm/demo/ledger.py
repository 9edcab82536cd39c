"""The receivables ledger: credit limits, ~1500 invoices and the payments that settle them.

Most invoices are paid. About a tenth are overdue, picked per ageing bucket (1-30, 31-60, 61-90, >90 days) and
weighted toward weak credit ratings, so that the ageing report and the dunning notices always have material.
`paid_amount` and `settled` are computed from the Payment rows created here, never set on their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from portcrm.demo.context import Company, SeedContext
from portcrm.demo.vocabulary import PAYMENT_TERMS
from portcrm.enums import CreditRating, CustomerType, Grade, Role
from portcrm.models import CreditLimit, Invoice, Payment

TOTAL = 1500
# (fewest days overdue, most days overdue, how many invoices)
OVERDUE_TARGETS: tuple[tuple[int, int, int], ...] = (
    (1, 30, 55),
    (31, 60, 40),
    (61, 90, 25),
    (91, 100_000, 30),
)
# The receivables job has run every morning: arrears beyond its default threshold
# (PORTCRM_LEGAL_ACTION_AFTER_DAYS) were flagged for legal recovery (法律手段追讨) the day they passed it, and
# each overdue invoice was announced the day it fell overdue; its first run in the demo finds what fell due
# yesterday.
LEGAL_AFTER_DAYS = 90
FELL_DUE_YESTERDAY = 3  # unpaid invoices due yesterday: finance's overdue alert on the demo's first morning
_RISK = {"AAA": 0.05, "AA": 0.1, "A": 0.3, "BBB": 1.0, "BB": 3.0, "B": 5.0, "C": 8.0}
_MONTHLY = {Grade.A: (50_000, 500_000), Grade.B: (10_000, 100_000), Grade.C: (2_000, 30_000)}
_LIMIT_WAN = {Grade.A: (300, 2_000), Grade.B: (80, 300), Grade.C: (10, 60)}  # in 10,000 CNY
_LIMIT_SHARE = {Grade.A: 1.0, Grade.B: 0.95, Grade.C: 0.75}
_INVOICE_WEIGHT = {Grade.A: 5.0, Grade.B: 2.5, Grade.C: 1.0}
_SHIPMENT_CHARGES = ("码头装卸作业费（THC）", "港口建设费及港务费", "堆存费", "拖车费", "代理报关费")
_MONTHLY_CHARGES = ("港口作业费（月结）", "集装箱堆存费（月结）", "船舶港务费", "仓储服务费")
_METHODS = (("bank_transfer", 80), ("bank_acceptance", 15), ("offset", 5))
USD_RATE = Decimal("7.1")
CENT = Decimal("0.01")


@dataclass(eq=False)
class PlannedInvoice:
    invoice: Invoice
    company: Company
    payments: list[Payment] = field(default_factory=list)


def build_credit_limits(ctx: SeedContext) -> list[CreditLimit]:
    rng, finance = ctx.rng, ctx.by_role(Role.FINANCE)
    limits = []
    for company in ctx.companies:
        customer = company.customer
        if rng.random() >= _LIMIT_SHARE[customer.grade]:
            continue  # cash customers: no credit
        amount = Decimal(rng.randint(*_LIMIT_WAN[customer.grade]) * 10_000)
        if customer.currency == "USD":
            amount = (amount / USD_RATE / 1000).quantize(Decimal(1)) * 1000
        since = customer.cooperation_since or ctx.today
        effective = max(ctx.days_ago(rng.randint(20, 200)), since)
        history = [(effective, amount, f"年度信用评估：信用等级{customer.credit_rating}")]
        if customer.grade != Grade.C and rng.random() < 0.3 and effective - since > dt.timedelta(days=400):
            history.insert(
                0, (effective - dt.timedelta(days=365), (amount * Decimal("0.7")).quantize(CENT), "首次授信")
            )
        limits += [
            CreditLimit(
                customer_id=customer.id,
                amount=value,
                currency=customer.currency,
                effective_from=day,
                set_by_id=rng.choice(finance).id,
                reason=reason,
                created_at=ctx.office_time(day),
            )
            for day, value, reason in history
        ]
    return limits


def build_invoices(ctx: SeedContext) -> list[PlannedInvoice]:
    rng = ctx.rng
    planned = _shipment_invoices(ctx)
    persona = _persona_arrears(ctx)
    companies = ctx.companies
    weights = [_INVOICE_WEIGHT[c.customer.grade] for c in companies]
    for company in rng.choices(companies, weights=weights, k=TOTAL - len(planned) - 1):
        year, month = divmod(ctx.today.year * 12 + ctx.today.month - rng.randint(1, 12), 12)
        first = dt.date(year, month + 1, 1)  # monthly bills go out early in the month after the work
        issued = min(first + dt.timedelta(days=rng.randint(0, 4)), ctx.days_ago(1))
        worked = first - dt.timedelta(days=1)
        previous = f"{worked.year}年{worked.month}月"
        cny = Decimal(rng.randint(*_MONTHLY[company.customer.grade]) * 100 + rng.randrange(100)) / 100
        planned.append(_invoice(ctx, company, issued, cny, f"{previous}{rng.choice(_MONTHLY_CHARGES)}"))
    planned = sorted([*planned, persona], key=lambda p: p.invoice.issued_on)
    sequence: dict[int, int] = {}
    for p in planned:
        year = p.invoice.issued_on.year
        sequence[year] = sequence.get(year, 0) + 1
        p.invoice.number = f"INV-{year}-{sequence[year]:06d}"
    overdue = _choose_overdue(ctx, planned, forced=persona)
    legal_ids = {id(p) for p in overdue if _days_overdue(ctx, p) > LEGAL_AFTER_DAYS + 1}  # before today
    overdue_ids = {id(p) for p in overdue}
    for n, p in enumerate(planned):
        _settle(ctx, p, overdue=id(p) in overdue_ids, legal=id(p) in legal_ids, seq=n)
    return planned


def payments(planned: list[PlannedInvoice]) -> list[Payment]:
    """The planned payments, now that their invoices have ids."""
    for p in planned:
        for payment in p.payments:
            payment.invoice_id = p.invoice.id
    return [payment for p in planned for payment in p.payments]


def _shipment_invoices(ctx: SeedContext) -> list[PlannedInvoice]:
    rng, planned = ctx.rng, []
    for s in ctx.shipments:
        boxes = len(s.shipment.containers)
        issued = s.events[0].occurred_at.astimezone(ctx.tz).date() + dt.timedelta(days=rng.randint(1, 6))
        if issued >= ctx.today:
            continue
        for charge in rng.sample(_SHIPMENT_CHARGES, rng.choice((1, 1, 2))):
            cny = Decimal(boxes * rng.randint(40_000, 250_000)) / 100
            planned.append(
                _invoice(ctx, s.company, issued, cny, f"{charge} — {s.shipment.bl_number}", s.shipment.id)
            )
    return planned


def _persona_arrears(ctx: SeedContext) -> PlannedInvoice:
    """The persona's company owes one recent invoice, so the customer sees a reminder and finance a case."""
    company = ctx.persona_company("customer")
    issued = ctx.days_ago(15 + PAYMENT_TERMS[company.customer.freight_payment_terms or "月结60天"])
    return _invoice(ctx, company, issued, Decimal("86420.00"), "港口作业费（月结）")


def _invoice(
    ctx: SeedContext,
    company: Company,
    issued: dt.date,
    cny: Decimal,
    description: str,
    shipment_id: int | None = None,
) -> PlannedInvoice:
    customer = company.customer
    usd = customer.currency == "USD" or (customer.type == CustomerType.FORWARDER and ctx.rng.random() < 0.12)
    if usd and customer.currency != "USD":
        description = f"海运费（代收代付） — {description.rsplit(' — ', 1)[-1]}"
    terms = PAYMENT_TERMS.get(customer.freight_payment_terms or "", 30)
    invoice = Invoice(
        number="",
        customer_id=customer.id,
        shipment_id=shipment_id,
        issued_on=issued,
        due_on=issued + dt.timedelta(days=terms),
        amount=(cny / USD_RATE if usd else cny).quantize(CENT),
        currency="USD" if usd else "CNY",
        description=description,
        created_at=ctx.office_time(issued),
    )
    return PlannedInvoice(invoice, company)


def _days_overdue(ctx: SeedContext, p: PlannedInvoice) -> int:
    return (ctx.today - p.invoice.due_on).days


def _choose_overdue(
    ctx: SeedContext, planned: list[PlannedInvoice], forced: PlannedInvoice
) -> list[PlannedInvoice]:
    """Per ageing bucket, a weighted sample without replacement (Efraimidis-Spirakis keys) by credit risk."""
    chosen = [forced]
    for lo, hi, target in OVERDUE_TARGETS:
        pool = [p for p in planned if p is not forced and lo <= _days_overdue(ctx, p) <= hi]
        keys = [ctx.rng.random() ** (1 / _RISK[_rating(p)]) for p in pool]
        ranked = sorted(zip(keys, range(len(pool)), strict=True), reverse=True)
        chosen += [pool[i] for _, i in ranked[:target]]
    taken = {id(p) for p in chosen}
    fell_due = [p for p in planned if _days_overdue(ctx, p) == 1 and id(p) not in taken]
    return chosen + fell_due[:FELL_DUE_YESTERDAY]


def _rating(p: PlannedInvoice) -> str:
    return (p.company.customer.credit_rating or CreditRating.BBB).value


def _settle(ctx: SeedContext, p: PlannedInvoice, *, overdue: bool, legal: bool, seq: int) -> None:
    rng, invoice = ctx.rng, p.invoice
    yesterday = ctx.days_ago(1)
    latest = min(yesterday, invoice.due_on + dt.timedelta(days=20))
    if overdue:
        if rng.random() < 0.35:
            _pay(ctx, p, _between(ctx, invoice.issued_on, latest), _part(ctx, invoice.amount), seq)
        if legal:
            invoice.legal_action_since = invoice.due_on + dt.timedelta(days=LEGAL_AFTER_DAYS + 1)
        if invoice.due_on < yesterday:
            invoice.overdue_alerted_on = invoice.due_on + dt.timedelta(days=1)
    elif invoice.due_on >= ctx.today:
        chance = rng.random()
        if chance < 0.53:
            amount = invoice.amount if chance < 0.45 else _part(ctx, invoice.amount)
            _pay(ctx, p, _between(ctx, invoice.issued_on, yesterday), amount, seq)
    else:
        if rng.random() < 0.85:
            paid_on = max(invoice.issued_on, invoice.due_on - dt.timedelta(days=rng.randint(0, 20)))
        else:
            paid_on = min(invoice.due_on + dt.timedelta(days=rng.randint(1, 25)), yesterday)
        if rng.random() < 0.15:
            first = _part(ctx, invoice.amount)
            _pay(ctx, p, _between(ctx, invoice.issued_on, paid_on), first, seq)
            _pay(ctx, p, paid_on, invoice.amount - first, seq)
        else:
            _pay(ctx, p, paid_on, invoice.amount, seq)
    invoice.paid_amount = sum((pay.amount for pay in p.payments), Decimal("0.00"))
    invoice.settled = invoice.paid_amount == invoice.amount


def _pay(ctx: SeedContext, p: PlannedInvoice, day: dt.date, amount: Decimal, seq: int) -> None:
    method = ctx.rng.choices([m for m, _ in _METHODS], weights=[w for _, w in _METHODS])[0]
    p.payments.append(
        Payment(
            reference=f"PAY-{seq:05d}-{len(p.payments) + 1}",
            customer_id=p.invoice.customer_id,
            paid_on=day,
            amount=amount,
            currency=p.invoice.currency,
            method=method,
            recorded_by_id=ctx.rng.choice(ctx.by_role(Role.FINANCE)).id,
            created_at=ctx.office_time(day),
        )
    )


def _part(ctx: SeedContext, amount: Decimal) -> Decimal:
    return (amount * Decimal(ctx.rng.randint(20, 70)) / 100).quantize(CENT)


def _between(ctx: SeedContext, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=ctx.rng.randint(0, max(0, (last - first).days)))
