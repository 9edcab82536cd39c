"""Contact rows: the people at a customer, keyed by customer code and name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from portcrm.errors import N_
from portcrm.identifiers import normalise_email, normalise_phone
from portcrm.importing import vocabulary
from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.customers import parse_customer_code
from portcrm.importing.importer import Importer, Outcome, assign, max_length, row_values
from portcrm.importing.lookup import load_all_by, load_by
from portcrm.importing.values import parse_bool, parse_date, term_parser, text_parser
from portcrm.models import Contact, Customer

# zh_CN, zh_TW or en (zh-cn and friends are read the same), or their Chinese names
parse_locale = term_parser(vocabulary.LOCALES, N_("Unknown language {value}; expected one of: {choices}"))


@dataclass(frozen=True, slots=True)
class ContactRow:
    customer_code: str
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    birthday: dt.date | None = None
    locale: str | None = None
    is_primary: bool | None = None
    is_billing: bool | None = None
    consent_greetings: bool | None = None
    consent_marketing: bool | None = None


def parse_contact_row(raw: Mapping[str, str], ctx: ParseContext) -> ContactRow:
    cells = Cells(raw)
    row = ContactRow(
        customer_code=cells.required("customer_code", parse_customer_code),
        name=cells.required("name", text_parser(max_length(Contact, "name"))),
        title=cells.optional("title", text_parser(max_length(Contact, "title"))),
        phone=cells.optional("phone", normalise_phone),
        email=cells.optional("email", normalise_email),
        birthday=cells.optional("birthday", parse_date),
        locale=cells.optional("locale", parse_locale),
        is_primary=cells.optional("is_primary", parse_bool),
        is_billing=cells.optional("is_billing", parse_bool),
        consent_greetings=cells.optional("consent_greetings", parse_bool),
        consent_marketing=cells.optional("consent_marketing", parse_bool),
    )
    cells.finish()
    return row


class ContactImporter(Importer[ContactRow]):
    required = ("customer_code", "name")
    optional = (
        "title",
        "phone",
        "email",
        "birthday",
        "locale",
        "is_primary",
        "is_billing",
        "consent_greetings",
        "consent_marketing",
    )

    def parse(self, raw: Mapping[str, str]) -> tuple[ContactRow, tuple[Issue, ...]]:
        return parse_contact_row(raw, self.ctx), ()

    def keys(self, row: ContactRow) -> list[tuple[str, str]]:
        return [("name", f"{row.customer_code} / {row.name}")]

    async def load(self, rows: Sequence[ContactRow]) -> None:
        self.customers = await load_by(self.session, Customer, "code", (r.customer_code for r in rows))
        ids = (customer.id for customer in self.customers.values())
        contacts = await load_all_by(self.session, Contact, "customer_id", ids)
        self.contacts = {(contact.customer_id, contact.name): contact for contact in contacts}

    def check(self, row: ContactRow) -> list[Issue]:
        if row.customer_code not in self.customers:
            return [Issue("customer_code", N_("Unknown customer code: {code}"), {"code": row.customer_code})]
        return []

    def apply(self, row: ContactRow) -> Outcome:
        customer_id = self.customers[row.customer_code].id
        values = row_values(row, "customer_code")
        contact = self.contacts.get((customer_id, row.name))
        if contact is None:
            fields = {k: v for k, v in values.items() if v is not None}
            self.session.add(Contact(customer_id=customer_id, **fields))
            return Outcome.CREATED
        return Outcome.UPDATED if assign(contact, values) else Outcome.UNCHANGED
