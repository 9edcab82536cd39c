"""Invoice rows: the receivables ledger, keyed by invoice number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from portcrm.errors import N_
from portcrm.identifiers import normalise_reference
from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.customers import parse_customer_code
from portcrm.importing.importer import Importer, Outcome, assign, max_length, row_values
from portcrm.importing.lookup import load_by, load_shipments
from portcrm.importing.values import code_parser, parse_amount, parse_currency, parse_date, text_parser
from portcrm.models import Customer, Invoice

parse_invoice_number = code_parser(max_length(Invoice, "number"))


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    number: str
    customer_code: str
    issued_on: dt.date
    due_on: dt.date
    amount: Decimal
    shipment_ref: str | None = None
    currency: str | None = None
    description: str | None = None


def parse_invoice_row(raw: Mapping[str, str], ctx: ParseContext) -> InvoiceRow:
    cells = Cells(raw, multiline=("description",))
    row = InvoiceRow(
        number=cells.required("number", parse_invoice_number),
        customer_code=cells.required("customer_code", parse_customer_code),
        issued_on=cells.required("issued_on", parse_date),
        due_on=cells.required("due_on", parse_date),
        amount=cells.required("amount", parse_amount),
        shipment_ref=cells.optional("shipment_ref", normalise_reference),
        currency=cells.optional("currency", parse_currency),
        description=cells.optional("description", text_parser(max_length(Invoice, "description"))),
    )
    if row.issued_on and row.due_on and row.due_on < row.issued_on:
        message = N_("Due date {due_on} is before the issue date {issued_on}")
        cells.fail("due_on", message, due_on=row.due_on.isoformat(), issued_on=row.issued_on.isoformat())
    cells.finish()
    return row


class InvoiceImporter(Importer[InvoiceRow]):
    required = ("number", "customer_code", "issued_on", "due_on", "amount")
    optional = ("shipment_ref", "currency", "description")

    def parse(self, raw: Mapping[str, str]) -> tuple[InvoiceRow, tuple[Issue, ...]]:
        return parse_invoice_row(raw, self.ctx), ()

    def keys(self, row: InvoiceRow) -> list[tuple[str, str]]:
        return [("number", row.number)]

    async def load(self, rows: Sequence[InvoiceRow]) -> None:
        self.customers = await load_by(self.session, Customer, "code", (r.customer_code for r in rows))
        self.shipments = await load_shipments(self.session, (r.shipment_ref for r in rows))
        self.invoices = await load_by(self.session, Invoice, "number", (r.number for r in rows))

    def check(self, row: InvoiceRow) -> list[Issue]:
        customer = self.customers.get(row.customer_code)
        if customer is None:
            return [Issue("customer_code", N_("Unknown customer code: {code}"), {"code": row.customer_code})]
        issues = []
        shipment = self.shipments.find(row.shipment_ref)
        if row.shipment_ref and shipment is None:
            message = N_("Unknown shipment (no such B/L number or booking reference): {reference}")
            issues.append(Issue("shipment_ref", message, {"reference": row.shipment_ref}))
        elif shipment is not None and shipment.customer_id != customer.id:
            message = N_("Shipment {reference} belongs to another customer")
            issues.append(Issue("shipment_ref", message, {"reference": row.shipment_ref}))
        issues += self._check_paid(row, customer)
        return issues

    def _check_paid(self, row: InvoiceRow, customer: Customer) -> list[Issue]:
        """Payments already booked against an invoice pin its customer and currency and floor its amount."""
        invoice = self.invoices.get(row.number)
        if invoice is None or not invoice.paid_amount:
            return []
        params = {"number": row.number, "paid": str(invoice.paid_amount), "currency": invoice.currency}
        if row.amount < invoice.paid_amount:
            return [
                Issue(
                    "amount",
                    N_("The amount is below the {paid} {currency} already paid on invoice {number}"),
                    params,
                )
            ]
        if invoice.customer_id != customer.id:
            message = N_("Invoice {number} already has payments; its customer cannot change")
            return [Issue("customer_code", message, params)]
        if row.currency not in (None, invoice.currency):
            message = N_("Invoice {number} already has payments; its currency cannot change")
            return [Issue("currency", message, params)]
        return []

    def apply(self, row: InvoiceRow) -> Outcome:
        values = row_values(row, "customer_code", "shipment_ref")
        values["customer_id"] = self.customers[row.customer_code].id
        shipment = self.shipments.find(row.shipment_ref)
        values["shipment_id"] = shipment.id if shipment else None
        invoice = self.invoices.get(row.number)
        if invoice is None:
            values["currency"] = row.currency or self.ctx.default_currency
            self.session.add(Invoice(**{k: v for k, v in values.items() if v is not None}))
            return Outcome.CREATED
        if row.amount != invoice.amount:
            values["settled"] = invoice.paid_amount >= row.amount
        return Outcome.UPDATED if assign(invoice, values) else Outcome.UNCHANGED
