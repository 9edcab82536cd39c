"""Payments received against invoices: the rules, whoever books one (an import file, the finance chat).

A payment is in its invoice's currency, and may not take the invoice's paid amount above the invoice amount
(payments booked together count together, in order). Its reference is its identity: booking a reference
again replaces the earlier payment instead of adding to it. An invoice is settled once paid in full.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import Written
from portcrm.errors import N_, FieldRefused, InvalidInput, NotFound
from portcrm.models import Customer, Invoice, Payment
from portcrm.storage.transaction import transaction

REFERENCE_LENGTH = int(Payment.__table__.c["reference"].type.length)
CHAT_METHOD = "chat"
_CENT = Decimal("0.01")


class PaymentRefused(FieldRefused):
    """A payment the rules refuse; `field` names the ReceivedPayment field at fault."""


@dataclass(frozen=True, slots=True)
class ReceivedPayment:
    """A payment as received (a file's row, a confirmed chat message), before the rules have accepted it."""

    reference: str
    invoice_number: str
    paid_on: dt.date
    amount: Decimal
    currency: str | None = None  # None: the book's default currency
    method: str | None = None


class PaymentBook:
    """Payments checked and booked against invoices and earlier payments that the caller fetched beforehand.

    The caller fetches, in bulk, the invoices the payments name, the earlier payments with the same
    references, and those payments' invoices; the invoices locked for update, as their paid amounts are read
    and then written. The book queries nothing; nothing is committed here.
    """

    def __init__(
        self,
        session: AsyncSession,
        invoices: Iterable[Invoice],
        earlier: Iterable[Payment],
        *,
        default_currency: str,
        recorded_by_id: int | None,
    ) -> None:
        self.session = session
        self.default_currency = default_currency
        self.recorded_by_id = recorded_by_id
        self._by_id = {invoice.id: invoice for invoice in invoices}
        self._by_number = {invoice.number: invoice for invoice in self._by_id.values()}
        self._earlier = {payment.reference: payment for payment in earlier}
        self._paid: dict[int, Decimal] = {}  # running paid amount per invoice, in the order checked

    def check(self, payment: ReceivedPayment) -> None:
        """Raise PaymentRefused unless the payment may be booked; check each one in order, then `book` it."""
        if payment.amount <= 0:
            raise PaymentRefused("amount", N_("Amount must be positive: {value}"), value=str(payment.amount))
        if payment.amount != payment.amount.quantize(_CENT):
            message = N_("At most two decimal places are allowed: {value}")
            raise PaymentRefused("amount", message, value=str(payment.amount))
        invoice = self._by_number.get(payment.invoice_number)
        if invoice is None:
            message = N_("Unknown invoice number: {number}")
            raise PaymentRefused("invoice_number", message, number=payment.invoice_number)
        currency = payment.currency or self.default_currency
        if currency != invoice.currency:
            message = N_("Payment in {currency} does not match invoice {number} in {invoice_currency}")
            raise PaymentRefused(
                "currency",
                message,
                currency=currency,
                number=invoice.number,
                invoice_currency=invoice.currency,
            )
        earlier = self._earlier.get(payment.reference)
        if earlier is not None and earlier.invoice_id is not None:
            # booking a payment again replaces it: take its earlier amount back out first
            previous = self._by_id[earlier.invoice_id]
            self._paid[previous.id] = self._paid_on(previous) - earlier.amount
        paid = self._paid_on(invoice) + payment.amount
        if paid > invoice.amount:
            raise PaymentRefused(
                "amount",
                N_("Payment {reference} would overpay invoice {number}: {paid} paid of {amount} {currency}"),
                reference=payment.reference,
                number=invoice.number,
                paid=str(paid),
                amount=str(invoice.amount),
                currency=invoice.currency,
            )
        self._paid[invoice.id] = paid

    def book(self, payment: ReceivedPayment) -> Written:
        """Create a checked payment, or bring the earlier one with its reference up to date."""
        invoice = self._by_number[payment.invoice_number]
        values = {
            "customer_id": invoice.customer_id,
            "invoice_id": invoice.id,
            "paid_on": payment.paid_on,
            "amount": payment.amount,
            "currency": invoice.currency,
            "method": payment.method,
        }
        earlier = self._earlier.get(payment.reference)
        if earlier is None:
            fields = {name: value for name, value in values.items() if value is not None}
            self.session.add(
                Payment(reference=payment.reference, recorded_by_id=self.recorded_by_id, **fields)
            )
            return Written.CREATED
        changed = False
        for name, value in values.items():
            if value is not None and getattr(earlier, name) != value:  # an empty method never clears
                setattr(earlier, name, value)
                changed = True
        return Written.UPDATED if changed else Written.UNCHANGED

    def settle(self) -> None:
        """Set the paid amount, and whether it is settled, of every invoice whose payments changed."""
        for invoice_id, paid in self._paid.items():
            invoice = self._by_id[invoice_id]
            # untouched totals leave `settled` alone: staff may have settled an invoice by other means
            if paid != invoice.paid_amount:
                invoice.paid_amount = paid
                if invoice.settled != (paid >= invoice.amount):
                    invoice.settled = paid >= invoice.amount

    def _paid_on(self, invoice: Invoice) -> Decimal:
        return self._paid.setdefault(invoice.id, invoice.paid_amount)


@dataclass(frozen=True, slots=True)
class PaymentPreview:
    number: str
    customer_name: str
    outstanding: Decimal
    currency: str  # the invoice's


@dataclass(frozen=True, slots=True)
class PaymentResult:
    number: str
    reference: str
    outstanding: Decimal
    currency: str
    settled: bool


def new_reference(today: dt.date) -> str:
    """A reference for a payment recorded without the bank's own: unique, and readable in the ledger."""
    return f"TG{today:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


async def payment_preview(session: AsyncSession, number: str) -> PaymentPreview:
    """What a payment against invoice `number` would be booked against, for the confirmation."""
    async with transaction(session):
        row = (
            await session.execute(
                select(Invoice, Customer.name)
                .join(Customer, Customer.id == Invoice.customer_id)
                .where(Invoice.number == number.strip())
            )
        ).first()
    if row is None:
        raise NotFound(N_("Unknown invoice number: {number}"), number=number)
    invoice, name = row
    return PaymentPreview(invoice.number, name, invoice.outstanding, invoice.currency)


async def record_payment(
    session: AsyncSession,
    number: str,
    amount: Decimal,
    currency: str | None,
    reference: str,
    *,
    staff_id: int,
    today: dt.date,
) -> PaymentResult:
    """Book a payment received today against invoice `number`, in the invoice's currency unless another is
    named (which is refused). Booking the same reference again changes nothing; a refused payment raises
    (NotFound, InvalidInput) having written nothing."""
    async with transaction(session):
        invoice = await session.scalar(
            select(Invoice).where(Invoice.number == number.strip()).with_for_update()
        )
        if invoice is None:
            raise NotFound(N_("Unknown invoice number: {number}"), number=number)
        if len(reference) > REFERENCE_LENGTH:
            raise InvalidInput(
                N_("Text too long: {length} characters, at most {max}"),
                length=len(reference),
                max=REFERENCE_LENGTH,
            )
        earlier = await session.scalar(select(Payment).where(Payment.reference == reference))
        invoices = [invoice]
        if earlier is not None and earlier.invoice_id not in (None, invoice.id):
            previous = await session.get(Invoice, earlier.invoice_id, with_for_update=True)
            assert previous is not None  # the payment's foreign key
            invoices.append(previous)
        book = PaymentBook(
            session,
            invoices,
            [earlier] if earlier is not None else [],
            default_currency=invoice.currency,
            recorded_by_id=staff_id,
        )
        received = ReceivedPayment(reference, invoice.number, today, amount, currency, CHAT_METHOD)
        book.check(received)
        book.book(received)
        set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
        book.settle()
    return PaymentResult(invoice.number, reference, invoice.outstanding, invoice.currency, invoice.settled)
