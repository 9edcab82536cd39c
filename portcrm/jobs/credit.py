"""Credit exposure (信用额度): finance hears when a customer's outstanding total goes over the limit in force.

Whether a customer is over comes from the balance service alone: the outstanding total in the limit's own
currency (other currencies are never converted) against the latest limit effective today. Each crossing is
told once: the key names the newest open invoice in that currency, so a new invoice that keeps the customer
over is told again while re-runs are not. Shipments carry no amounts, so only invoices move the exposure.
"""

from __future__ import annotations

import html
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_
from portcrm.i18n import translation
from portcrm.jobs.base import Job, JobContext, JobResult, every_quarter_hour
from portcrm.messaging import outbox
from portcrm.models import CreditLimit, Invoice, Notification
from portcrm.services.receivables.balance import Balance, Credit, customer_balance
from portcrm.services.receivables.ledger import is_open, money, newest_open_invoice
from portcrm.services.recipients.staff_alerts import department
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)


def exposure_text(balance: Balance, credit: Credit, locale: str) -> str:
    _ = translation(locale).gettext
    used = credit.limit - credit.available
    return "\n".join(
        [
            _("<b>Credit limit exceeded</b>"),
            _("Company: {company}").format(company=html.escape(balance.customer_name)),
            _("Outstanding: {amount}").format(amount=money(used, credit.currency, locale)),
            _("Credit limit: {amount}").format(amount=money(credit.limit, credit.currency, locale)),
            _("Over the limit by: {amount}").format(amount=money(-credit.available, credit.currency, locale)),
        ]
    )


async def _told(session: AsyncSession, crossing: str) -> bool:
    """Whether anyone heard of this crossing: someone who joins finance later is not told of old ones."""
    told = select(Notification.id).where(
        Notification.idempotency_key.startswith(f"{crossing}:", autoescape=True)
    )
    return await session.scalar(told.limit(1)) is not None


async def check_exposure(ctx: JobContext) -> JobResult:
    """Alert finance (its group chat, else each member) of every customer over the credit limit in force."""
    settings, today = ctx.settings, ctx.today
    async with ctx.db.session() as session, transaction(session):
        # who could be over at all: a limit in force and an open invoice; the balance service decides
        candidates = list(
            await session.scalars(
                select(Invoice.customer_id)
                .where(is_open())
                .where(
                    Invoice.customer_id.in_(
                        select(CreditLimit.customer_id).where(CreditLimit.effective_from <= today)
                    )
                )
                .distinct()
                .order_by(Invoice.customer_id)
            )
        )
    over = alerts = 0
    for customer_id in candidates:  # a short transaction per customer
        async with ctx.db.session() as session, transaction(session):
            balance = await customer_balance(session, customer_id, today, listed=0)
            credit = balance.credit
            if credit is None or credit.available >= 0:
                continue
            over += 1
            newest = await newest_open_invoice(session, customer_id, credit.currency)
            crossing = f"exposure:{customer_id}:{newest}"
            if await _told(session, crossing):
                continue
            for recipient in await department(session, Role.FINANCE, settings):
                alerts += await outbox.enqueue(
                    session,
                    key=f"{crossing}:{recipient.tag}",
                    kind="credit_exposure",
                    chat_id=recipient.chat_id,
                    text=exposure_text(balance, credit, recipient.locale),
                    staff_id=recipient.staff_id,
                )
    if alerts:
        log.info("credit exposure: %s customers over their limit, %s new alerts", over, alerts)
    return {"over_limit": over, "alerts": alerts}


CREDIT_EXPOSURE = Job(
    "credit_exposure",
    N_("Credit exposure: customers over their credit limit"),
    {"minute": "*/15"},
    every_quarter_hour,
    check_exposure,
)
