"""The dunning statement by mail (付款提醒 / 催款通知), for a billing contact reached by e-mail: the same
content as the chat's statement, written for mail, with the statement of account (.xlsx) attached."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.i18n import translation
from portcrm.messaging import mail_outbox
from portcrm.models import Contact, Staff
from portcrm.services.exports.workbook import xlsx
from portcrm.services.receivables.balance import Balance
from portcrm.services.receivables.statement import statement
from portcrm.services.receivables.statement_lines import invoice_line, questions_line, total_lines

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def statement_mail(
    balance: Balance, contact_name: str, manager: Staff | None, locale: str
) -> tuple[str, str]:
    """(subject, text) of the statement mail."""
    _ = translation(locale).gettext
    if any(total.overdue for total in balance.totals):
        subject = _("Dunning notice: {company}")
        intro = _("Some invoices of {company} are past their due date. Please arrange payment at once.")
    else:
        subject = _("Payment reminder: {company}")
        intro = _("A reminder of the open invoices of {company}: the next one falls due soon.")
    lines = [_("Dear {name},").format(name=contact_name), "", intro.format(company=balance.customer_name), ""]
    lines += [invoice_line(invoice, balance.as_of, locale, str) for invoice in balance.invoices]
    if balance.more:
        lines.append(_("… and {count} more").format(count=balance.more))
    lines += ["", _("Total outstanding:"), *total_lines(balance, locale)]
    lines += ["", _("Please pay by bank transfer quoting the invoice numbers. If you have paid, thank you.")]
    lines.append(_("The attached workbook lists every open invoice and your recent payments."))
    lines.append(questions_line(manager, locale, str))
    return subject.format(company=balance.customer_name), "\n".join(lines)


async def mail_statement(
    session: AsyncSession,
    *,
    key: str,
    balance: Balance,
    contact: Contact,
    manager: Staff | None,
    locale: str,
    today: dt.date,
    tz: dt.tzinfo,
) -> bool:
    """Into the caller's transaction: the statement mail with the .xlsx statement of account attached."""
    assert contact.email is not None
    subject, text = statement_mail(balance, contact.name, manager, locale)
    found = await statement(session, contact.customer_id, today)
    _ = translation(locale).gettext
    code = re.sub(r"[^A-Za-z0-9_.-]", "-", found.code)  # a code may hold a slash
    name = _("statement-{code}-{date}.xlsx").format(code=code, date=today.isoformat())
    workbook = mail_outbox.Attachment(name, XLSX, xlsx(found.sheets, _, tz))
    return await mail_outbox.enqueue_mail(
        session,
        key=key,
        kind="dunning",
        to=contact.email,
        to_name=contact.name,
        subject=subject,
        text=text,
        attachments=[workbook],
        contact_id=contact.id,
    )
