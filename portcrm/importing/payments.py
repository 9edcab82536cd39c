"""Payment rows: money received against an invoice, keyed by the payment's (bank) reference.

Each payment adds to its invoice's paid amount; the invoice is settled when fully paid. A payment that is
imported again replaces its earlier self rather than adding twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from portcrm.errors import N_
from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.importer import Importer, Outcome, assign, max_length
from portcrm.importing.invoices import parse_invoice_number
from portcrm.importing.lookup import load_by
from portcrm.importing.values import parse_amount, parse_currency, parse_date, text_parser
from portcrm.models import Invoice, Payment


@dataclass(frozen=True, slots=True)
class PaymentRow:
    reference: str
    invoice_number: str
    paid_on: dt.date
    amount: Decimal
    currency: str | None = None
    method: str | None = None


def parse_payment_row(raw: Mapping[str, str], ctx: ParseContext) -> PaymentRow:
    cells = Cells(raw)
    row = PaymentRow(
        reference=cells.required("reference", text_parser(max_length(Payment, "reference"))),
        invoice_number=cells.required("invoice_number", parse_invoice_number),
        paid_on=cells.required("paid_on", parse_date),
        amount=cells.required("amount", parse_amount),
        currency=cells.optional("currency", parse_currency),
        method=cells.optional("method", text_parser(max_length(Payment, "method"))),
    )
    cells.finish()
    return row


class PaymentImporter(Importer[PaymentRow]):
    required = ("reference", "invoice_number", "paid_on", "amount")
    optional = ("currency", "method")

    def parse(self, raw: Mapping[str, str]) -> tuple[PaymentRow, tuple[Issue, ...]]:
        return parse_payment_row(raw, self.ctx), ()

    def keys(self, row: PaymentRow) -> list[tuple[str, str]]:
        return [("reference", row.reference)]

    async def load(self, rows: Sequence[PaymentRow]) -> None:
        self.payments = await load_by(self.session, Payment, "reference", (r.reference for r in rows))
        # locked: paid_amount is read, then written (SQLite's write transaction already excludes others)
        numbers = (r.invoice_number for r in rows)
        self.invoices = await load_by(self.session, Invoice, "number", numbers, for_update=True)
        self.by_id = {invoice.id: invoice for invoice in self.invoices.values()}
        earlier = {p.invoice_id for p in self.payments.values()} - self.by_id.keys()
        self.by_id |= await load_by(self.session, Invoice, "id", earlier, for_update=True)
        self.paid: dict[int, Decimal] = {}  # running paid amount per invoice, file order

    def _paid(self, invoice: Invoice) -> Decimal:
        return self.paid.setdefault(invoice.id, invoice.paid_amount)

    def check(self, row: PaymentRow) -> list[Issue]:
        invoice = self.invoices.get(row.invoice_number)
        if invoice is None:
            return [
                Issue(
                    "invoice_number", N_("Unknown invoice number: {number}"), {"number": row.invoice_number}
                )
            ]
        currency = row.currency or self.ctx.default_currency
        if currency != invoice.currency:
            message = N_("Payment in {currency} does not match invoice {number} in {invoice_currency}")
            params = {"currency": currency, "number": invoice.number, "invoice_currency": invoice.currency}
            return [Issue("currency", message, params)]
        earlier = self.payments.get(row.reference)
        if earlier is not None and earlier.invoice_id is not None:
            # importing a payment again replaces it: take its earlier amount back out first
            previous = self.by_id[earlier.invoice_id]
            self.paid[previous.id] = self._paid(previous) - earlier.amount
        paid = self._paid(invoice) + row.amount
        if paid > invoice.amount:
            message = N_(
                "Payment {reference} would overpay invoice {number}: {paid} paid of {amount} {currency}"
            )
            params = {
                "reference": row.reference,
                "number": invoice.number,
                "paid": str(paid),
                "amount": str(invoice.amount),
                "currency": invoice.currency,
            }
            return [Issue("amount", message, params)]
        self.paid[invoice.id] = paid
        return []

    def apply(self, row: PaymentRow) -> Outcome:
        invoice = self.invoices[row.invoice_number]
        values = {
            "customer_id": invoice.customer_id,
            "invoice_id": invoice.id,
            "paid_on": row.paid_on,
            "amount": row.amount,
            "currency": invoice.currency,
            "method": row.method,
        }
        payment = self.payments.get(row.reference)
        if payment is None:
            fields = {k: v for k, v in values.items() if v is not None}
            self.session.add(Payment(reference=row.reference, recorded_by_id=self.actor.staff_id, **fields))
            return Outcome.CREATED
        return Outcome.UPDATED if assign(payment, values) else Outcome.UNCHANGED

    async def after_flush(self) -> None:
        for invoice_id, paid in self.paid.items():
            invoice = self.by_id[invoice_id]
            # untouched totals leave `settled` alone: staff may have settled an invoice by other means
            if paid != invoice.paid_amount:
                assign(invoice, {"paid_amount": paid, "settled": paid >= invoice.amount})
