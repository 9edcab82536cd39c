"""Customer archive rows: the basic, business and financial information of each company, keyed by code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from portcrm.enums import CreditRating, CustomerStatus, CustomerType, Grade
from portcrm.errors import N_
from portcrm.identifiers import normalise_uscc
from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.importer import Importer, Outcome, assign, max_length, row_values
from portcrm.importing.lookup import load_by
from portcrm.importing.values import (
    choice_parser,
    code_parser,
    parse_count,
    parse_currency,
    parse_date,
    parse_quantity,
    text_parser,
)
from portcrm.models import Customer

parse_customer_code = code_parser(max_length(Customer, "code"))
LONG_TEXT = 4000

_TEXT_COLUMNS = (
    "name_en",
    "legal_representative",
    "organisation_form",
    "address",
    "service_area",
    "cargo_types",
    "routes",
    "freight_payment_terms",
    "bank_name",
    "bank_account",
)
MULTILINE = ("business_scope", "address", "routes")  # where a cell's text may span lines


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """Optional fields are None when the cell is empty, which leaves a stored value as it is."""

    code: str
    name: str
    type: CustomerType
    grade: Grade | None = None
    status: CustomerStatus | None = None
    uscc: str | None = None
    business_scope: str | None = None
    founded_on: dt.date | None = None
    registered_capital: Decimal | None = None
    cooperation_since: dt.date | None = None
    annual_volume_teu: int | None = None
    credit_rating: CreditRating | None = None
    currency: str | None = None
    name_en: str | None = None
    legal_representative: str | None = None
    organisation_form: str | None = None
    address: str | None = None
    service_area: str | None = None
    cargo_types: str | None = None
    routes: str | None = None
    freight_payment_terms: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None


def parse_customer_row(raw: Mapping[str, str], ctx: ParseContext) -> CustomerRow:
    cells = Cells(raw, multiline=MULTILINE)
    row = CustomerRow(
        code=cells.required("code", parse_customer_code),
        name=cells.required("name", text_parser(max_length(Customer, "name"))),
        type=cells.required("type", choice_parser(CustomerType)),
        grade=cells.optional("grade", choice_parser(Grade)),
        status=cells.optional("status", choice_parser(CustomerStatus)),
        uscc=cells.optional("uscc", normalise_uscc),
        business_scope=cells.optional("business_scope", text_parser(LONG_TEXT)),
        founded_on=cells.optional("founded_on", parse_date),
        registered_capital=cells.optional("registered_capital", parse_quantity),
        cooperation_since=cells.optional("cooperation_since", parse_date),
        annual_volume_teu=cells.optional("annual_volume_teu", parse_count),
        credit_rating=cells.optional("credit_rating", choice_parser(CreditRating)),
        currency=cells.optional("currency", parse_currency),
        **{name: cells.optional(name, text_parser(max_length(Customer, name))) for name in _TEXT_COLUMNS},
    )
    cells.finish()
    return row


class CustomerImporter(Importer[CustomerRow]):
    required = ("code", "name", "type")
    optional = (
        "name_en",
        "grade",
        "status",
        "uscc",
        "legal_representative",
        "business_scope",
        "founded_on",
        "organisation_form",
        "registered_capital",
        "address",
        "service_area",
        "cooperation_since",
        "annual_volume_teu",
        "cargo_types",
        "routes",
        "freight_payment_terms",
        "credit_rating",
        "currency",
        "bank_name",
        "bank_account",
    )

    def parse(self, raw: Mapping[str, str]) -> tuple[CustomerRow, tuple[Issue, ...]]:
        return parse_customer_row(raw, self.ctx), ()

    def keys(self, row: CustomerRow) -> list[tuple[str, str]]:
        return [("code", row.code)] + ([("uscc", row.uscc)] if row.uscc else [])

    async def load(self, rows: Sequence[CustomerRow]) -> None:
        self.by_code = await load_by(self.session, Customer, "code", (r.code for r in rows))
        self.by_uscc = await load_by(self.session, Customer, "uscc", (r.uscc for r in rows))

    def check(self, row: CustomerRow) -> list[Issue]:
        holder = self.by_uscc.get(row.uscc)
        if holder is not None and holder.code != row.code:
            message = N_("Unified social credit code {uscc} already belongs to customer {code}")
            return [Issue("uscc", message, {"uscc": row.uscc, "code": holder.code})]
        return []

    def apply(self, row: CustomerRow) -> Outcome:
        values = row_values(row)
        customer = self.by_code.get(row.code)
        if customer is None:
            values["currency"] = row.currency or self.ctx.default_currency
            self.session.add(Customer(**{k: v for k, v in values.items() if v is not None}))
            return Outcome.CREATED
        return Outcome.UPDATED if assign(customer, values) else Outcome.UNCHANGED
