"""The legal-action mark: an open invoice handed over for legal recovery, once, managers and finance told.

The mark and the alerts are written in one transaction, so no mark goes untold and no alert is sent for a
mark that rolled back. The one who marked it is not told again. Who hears what: docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import Role
from portcrm.errors import N_, Conflict, NotFound
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import Customer, Invoice
from portcrm.services.recipients import staff_alerts
from portcrm.settings import Settings
from portcrm.storage.transaction import transactional


@transactional
async def mark_legal(
    session: AsyncSession, invoice_id: int, *, staff_id: int, today: dt.date, settings: Settings
) -> Invoice:
    """Mark an open invoice for legal recovery, and tell the managers and finance (in their language, else
    `settings.default_locale`); a second mark, or a mark on a paid invoice, raises Conflict."""
    invoice = await session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None:
        raise NotFound()
    number, since = invoice.number, invoice.legal_action_since
    if since is not None:
        raise Conflict(
            N_("Invoice {number} is already marked for legal action since {date}."),
            number=number,
            date=since.isoformat(),
        )
    if invoice.settled or invoice.outstanding <= 0:
        raise Conflict(N_("Invoice {number} is already paid."), number=number)
    customer = await session.get(Customer, invoice.customer_id)
    assert customer is not None
    set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
    invoice.legal_action_since = today
    told = {str(staff_id)}  # the one who marked it knows; someone in both departments hears once
    for recipient in [
        *await staff_alerts.department(session, Role.MANAGER, settings),
        *await staff_alerts.department(session, Role.FINANCE, settings),
    ]:
        if recipient.tag in told:
            continue
        told.add(recipient.tag)
        _ = gettext_for(recipient.locale)
        text = _(
            "⚖️ Invoice {number} of {company} ({outstanding} {currency} outstanding) was marked "
            "for legal action."
        ).format(
            number=html.escape(invoice.number),
            company=html.escape(customer.name),
            outstanding=invoice.outstanding,
            currency=invoice.currency,
        )
        await outbox.enqueue(
            session,
            key=f"legal:{invoice.id}:{recipient.tag}",
            kind="legal_action",
            chat_id=recipient.chat_id,
            text=text,
            staff_id=recipient.staff_id,
        )
    return invoice
