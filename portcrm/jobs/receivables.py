"""The morning receivables run: overdue alerts and legal flags to staff, the dunning ladder to customers.

Two steps, each in its own short transactions, each safe to re-run: (a) invoices overdue beyond
settings.legal_action_after_days are flagged for legal recovery (法律手段追讨) and invoices that fell
overdue since the last run are announced once each, in one transaction, so finance's one morning alert
names both and no flag goes untold; managers hear of each flag on its own; (b) one statement
(付款提醒 / 催款通知) per customer with an invoice on a rung of the dunning ladder today.
Who gets which alert: docs/operations.md ("Who is told what").
"""

from __future__ import annotations

import html
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm import audit
from portcrm.enums import Role
from portcrm.errors import N_
from portcrm.i18n import translation
from portcrm.jobs.base import Job, JobContext, JobResult, daily, morning
from portcrm.messaging import outbox
from portcrm.models import Customer, Staff
from portcrm.services.receivables.balance import Balance, customer_balance
from portcrm.services.receivables.dunning_mail import mail_statement
from portcrm.services.receivables.ledger import (
    LedgerInvoice,
    day,
    dunning_customers,
    fit,
    flag_legal_action,
    mark_overdue_alerted,
    money,
    newly_overdue,
    statement_contact,
)
from portcrm.services.receivables.statement_lines import invoice_line, questions_line, total_lines
from portcrm.services.recipients.channel import by_mail
from portcrm.services.recipients.staff_alerts import Recipient, department, staff_members
from portcrm.settings import Settings
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
LISTED = 30  # invoices named in one staff alert; the rest are counted
STATEMENT_LISTED = 20  # invoices named in one customer statement; the totals count them all


def _overdue_line(invoice: LedgerInvoice, locale: str) -> str:
    catalog = translation(locale)
    days = catalog.ngettext("{days} day overdue", "{days} days overdue", invoice.days_overdue)
    return catalog.gettext("• {number} — {company} — due {date} — {amount} — {overdue}").format(
        number=html.escape(invoice.number),
        company=html.escape(invoice.customer_name),
        date=day(invoice.due_on, locale),
        amount=money(invoice.outstanding, invoice.currency, locale),
        overdue=days.format(days=invoice.days_overdue),
    )


def overdue_alert_text(
    invoices: list[LedgerInvoice], locale: str, flagged: Sequence[LedgerInvoice] = ()
) -> str:
    """The newly overdue invoices with their totals, then those flagged for legal recovery this morning."""
    _ = translation(locale).gettext
    lines: list[str] = []
    if invoices:
        totals: defaultdict[str, Decimal] = defaultdict(Decimal)
        for invoice in invoices:
            totals[invoice.currency] += invoice.outstanding
        lines += [_("<b>Newly overdue invoices</b> ({count})").format(count=len(invoices)), ""]
        lines += _listed(invoices, locale)
        amounts = ", ".join(money(totals[code], code, locale) for code in sorted(totals))
        lines += ["", _("Total: {amounts}").format(amounts=amounts)]
    if flagged:
        lines += [""] if lines else []
        lines += [_("⚖️ <b>Flagged for legal recovery today</b> ({count})").format(count=len(flagged)), ""]
        lines += _listed(flagged, locale)
    return fit(lines)


def _listed(invoices: Sequence[LedgerInvoice], locale: str) -> list[str]:
    lines = [_overdue_line(invoice, locale) for invoice in invoices[:LISTED]]
    if len(invoices) > LISTED:
        lines.append(translation(locale).gettext("… and {count} more").format(count=len(invoices) - LISTED))
    return lines


@dataclass(frozen=True, slots=True)
class Alerted:
    overdue: int  # invoices announced as newly overdue
    overdue_alerts: int  # messages to finance and account managers
    flagged: int  # invoices flagged for legal recovery
    legal_alerts: int  # messages to managers about them


async def alert_and_flag(ctx: JobContext) -> Alerted:
    """Flag long arrears (audited as the system) and announce what fell overdue, in one transaction.

    Finance (its group chat, else each member) gets one message naming both; each account manager the
    newly overdue invoices of their customers; each manager (unless told as finance already) one alert per
    flagged invoice.
    """
    settings, today = ctx.settings, ctx.today
    async with ctx.db.session(audit.SYSTEM) as session, transaction(session):
        flagged = await flag_legal_action(session, today, settings.legal_action_after_days)
        invoices = await newly_overdue(session, today)
        finance = {r.tag: r for r in await department(session, Role.FINANCE, settings)}
        batches: dict[str, tuple[Recipient, list[LedgerInvoice], list[LedgerInvoice]]] = (
            {tag: (r, invoices, flagged) for tag, r in finance.items()} if invoices or flagged else {}
        )
        managers = await staff_members(
            session, [i.account_manager_id for i in invoices], settings.default_locale
        )
        for invoice in invoices:
            manager = managers.get(invoice.account_manager_id or 0)
            if manager is not None and manager.tag not in finance:
                batches.setdefault(manager.tag, (manager, [], []))[1].append(invoice)
        sent, alerted = 0, set()
        for tag, (recipient, listed, legal) in batches.items():
            first = f"{listed[0].id}" if listed else f"legal{legal[0].id}"
            sent += await outbox.enqueue(
                session,
                key=f"overdue-alert:{tag}:{today.isoformat()}:{first}",
                kind="overdue_alert",
                chat_id=recipient.chat_id,
                text=overdue_alert_text(listed, recipient.locale, legal),
                staff_id=recipient.staff_id,
            )
            alerted.update(invoice.id for invoice in listed)
        await mark_overdue_alerted(session, alerted, today)
        legal_sent = await _tell_managers(session, flagged, settings, already_told=set(finance))
    if len(alerted) < len(invoices):
        log.warning(
            "%s overdue invoices have nobody to alert; retried next run", len(invoices) - len(alerted)
        )
    return Alerted(len(alerted), sent, len(flagged), legal_sent)


def statement_text(balance: Balance, contact_name: str, manager: Staff | None, locale: str) -> str:
    """The customer's statement: every open invoice, totals per currency, how to pay and whom to ask."""
    _ = translation(locale).gettext
    company = html.escape(balance.customer_name)
    if any(total.overdue for total in balance.totals):
        title = _("<b>Dunning notice</b>")
        intro = _("Some invoices of {company} are past their due date. Please arrange payment at once.")
    else:
        title = _("<b>Payment reminder</b>")
        intro = _("A reminder of the open invoices of {company}: the next one falls due soon.")
    lines = [
        title,
        "",
        _("Dear {name},").format(name=html.escape(contact_name)),
        intro.format(company=company),
    ]
    lines += ["", *(invoice_line(i, balance.as_of, locale, html.escape, "⚠️ ") for i in balance.invoices)]
    if balance.more:
        lines.append(_("… and {count} more").format(count=balance.more))
    lines += ["", _("<b>Total outstanding</b>"), *total_lines(balance, locale)]
    lines += ["", _("Please pay by bank transfer quoting the invoice numbers. If you have paid, thank you.")]
    lines.append(questions_line(manager, locale, html.escape))
    lines.append(_("Send /balance to see your account at any time."))
    return fit(lines)


async def send_statements(ctx: JobContext) -> tuple[int, int]:
    """One statement per customer with an invoice on a rung today; returns (sent, customers unreachable)."""
    settings, today = ctx.settings, ctx.today
    async with ctx.db.session() as session, transaction(session):
        customers = await dunning_customers(session, today, settings.dunning_ladder)
    sent = unreachable = 0
    for customer_id in customers:  # a short transaction per customer
        async with ctx.db.session() as session, transaction(session):
            balance = await customer_balance(session, customer_id, today, listed=STATEMENT_LISTED)
            found = await statement_contact(session, customer_id, settings.default_locale)
            if found is None or not balance.invoices:
                unreachable += found is None
                continue
            contact, locale = found
            customer = await session.get(Customer, customer_id)
            manager_id = customer.account_manager_id if customer else None
            manager = await session.get(Staff, manager_id) if manager_id else None
            if by_mail(contact):  # with the statement of account attached
                sent += await mail_statement(
                    session,
                    key=f"dunning:{customer_id}:{today.isoformat()}",
                    balance=balance,
                    contact=contact,
                    manager=manager,
                    locale=locale,
                    today=today,
                    tz=settings.tz,
                )
                continue
            assert contact.telegram_user_id is not None  # reached in chat, then
            sent += await outbox.enqueue(
                session,
                key=f"dunning:{customer_id}:{today.isoformat()}",
                kind="dunning",
                chat_id=contact.telegram_user_id,
                text=statement_text(balance, contact.name, manager, locale),
                contact_id=contact.id,
            )
    if unreachable:
        log.info("%s customers on the dunning ladder have no billing contact to reach", unreachable)
    return sent, unreachable


def legal_alert_text(invoice: LedgerInvoice, locale: str) -> str:
    catalog = translation(locale)
    _ = catalog.gettext
    days = catalog.ngettext("{days} day overdue", "{days} days overdue", invoice.days_overdue)
    return "\n".join(
        [
            _("<b>Flagged for legal recovery</b>"),
            _("Company: {company}").format(company=html.escape(invoice.customer_name)),
            _("Invoice {number}: {amount} outstanding, due {date}, {overdue}").format(
                number=html.escape(invoice.number),
                amount=money(invoice.outstanding, invoice.currency, locale),
                date=day(invoice.due_on, locale),
                overdue=days.format(days=invoice.days_overdue),
            ),
        ]
    )


async def _tell_managers(
    session: AsyncSession, flagged: list[LedgerInvoice], settings: Settings, *, already_told: set[str]
) -> int:
    """One alert per flagged invoice to each manager not told already (as a member of finance)."""
    recipients = await department(session, Role.MANAGER, settings) if flagged else []
    sent = 0
    for invoice in flagged:
        for recipient in recipients:
            if recipient.tag in already_told:
                continue
            sent += await outbox.enqueue(
                session,
                key=f"legal:{invoice.id}:{recipient.tag}",
                kind="legal_action",
                chat_id=recipient.chat_id,
                text=legal_alert_text(invoice, recipient.locale),
                staff_id=recipient.staff_id,
            )
    return sent


async def run(ctx: JobContext) -> JobResult:
    alerted = await alert_and_flag(ctx)
    statements, unreachable = await send_statements(ctx)
    return {
        "newly_overdue": alerted.overdue,
        "overdue_alerts": alerted.overdue_alerts,
        "statements": statements,
        "statements_unreachable": unreachable,
        "legal_flagged": alerted.flagged,
        "legal_alerts": alerted.legal_alerts,
    }


RECEIVABLES = Job(
    "receivables",
    N_("Receivables: overdue alerts, dunning statements and legal recovery flags"),
    morning(),
    daily,
    run,
)
