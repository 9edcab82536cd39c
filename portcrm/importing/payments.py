"""Payment rows: money received against an invoice, keyed by the payment's (bank) reference.

The importer reads the rows and fetches what they name in bulk; overpayment, currency and what a repeated
reference does are the payments service's rules (`portcrm.services.receivables.payments`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.importer import Importer, Outcome, max_length
from portcrm.importing.invoices import parse_invoice_number
from portcrm.importing.lookup import load_by
from portcrm.importing.values import (
    coded_text_parser,
    parse_amount,
    parse_currency,
    parse_date,
    text_parser,
)
from portcrm.importing.vocabulary import PAYMENT_METHODS
from portcrm.models import Invoice, Payment
from portcrm.services.receivables.payments import PaymentBook, PaymentRefused, ReceivedPayment

# free text; the usual methods, by their code or a Chinese name, are stored as the code
_method = coded_text_parser(PAYMENT_METHODS, max_length(Payment, "method"))


def parse_payment_row(raw: Mapping[str, str], ctx: ParseContext) -> ReceivedPayment:
    cells = Cells(raw)
    row = ReceivedPayment(
        reference=cells.required("reference", text_parser(max_length(Payment, "reference"))),
        invoice_number=cells.required("invoice_number", parse_invoice_number),
        paid_on=cells.required("paid_on", parse_date),
        amount=cells.required("amount", parse_amount),
        currency=cells.optional("currency", parse_currency),
        method=cells.optional("method", _method),
    )
    cells.finish()
    return row


class PaymentImporter(Importer[ReceivedPayment]):
    required = ("reference", "invoice_number", "paid_on", "amount")
    optional = ("currency", "method")

    def parse(self, raw: Mapping[str, str]) -> tuple[ReceivedPayment, tuple[Issue, ...]]:
        return parse_payment_row(raw, self.ctx), ()

    def keys(self, row: ReceivedPayment) -> list[tuple[str, str]]:
        return [("reference", row.reference)]

    async def load(self, rows: Sequence[ReceivedPayment]) -> None:
        earlier = await load_by(self.session, Payment, "reference", (r.reference for r in rows))
        # locked: paid_amount is read, then written (SQLite's write transaction already excludes others)
        numbers = (r.invoice_number for r in rows)
        invoices = await load_by(self.session, Invoice, "number", numbers, for_update=True)
        ids = {p.invoice_id for p in earlier.values()} - {invoice.id for invoice in invoices.values()}
        earlier_invoices = await load_by(self.session, Invoice, "id", ids, for_update=True)
        self.book = PaymentBook(
            self.session,
            [*invoices.values(), *earlier_invoices.values()],
            earlier.values(),
            default_currency=self.ctx.default_currency,
            recorded_by_id=self.actor.staff_id,
        )

    def check(self, row: ReceivedPayment) -> list[Issue]:
        try:
            self.book.check(row)
        except PaymentRefused as refused:  # its field is the column of the same name
            return [Issue(refused.field, refused.message, refused.params)]
        return []

    def apply(self, row: ReceivedPayment) -> Outcome:
        return Outcome(self.book.book(row).value)

    async def after_flush(self) -> None:
        self.book.settle()
