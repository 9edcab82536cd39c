"""The people: the port's staff by department, and one to three contacts at each customer."""

from __future__ import annotations

import datetime as dt

from portcrm.demo import numbers, vocabulary
from portcrm.demo.context import Company, SeedContext
from portcrm.demo.personas import STAFF_ROSTER, STAFF_TELEGRAM_BASE, persona
from portcrm.enums import Grade
from portcrm.models import Contact, Staff, StaffRole

_CONTACT_COUNTS = {Grade.A: (2, 3), Grade.B: (1, 3), Grade.C: (1, 2)}
_UPCOMING_BIRTHDAYS = 0.07  # share of contacts whose birthday falls in the next 14 days, so greetings show
_PERSONA_CONTACTS = {
    "customer": ("李娜", "li.na", "物流经理"),
    "customer_tw": ("陳美玲", "chen.meiling", "業務經理"),
}


def build_staff(ctx: SeedContext) -> list[Staff]:
    staff = []
    for n, (key, name, pinyin, roles) in enumerate(STAFF_ROSTER, start=1):
        telegram_user_id = persona(key).telegram_user_id if key else STAFF_TELEGRAM_BASE + n
        staff.append(
            Staff(
                telegram_user_id=telegram_user_id,
                name=name,
                phone=numbers.mobile(ctx.rng),
                email=f"{pinyin}@nbport.example",
                roles=[StaffRole(role=r) for r in roles],
            )
        )
    return staff


def build_contacts(ctx: SeedContext) -> list[Contact]:
    """Contacts of every company, in order: the first is primary, the last (if several) handles the bills."""
    contacts = []
    for company in ctx.companies:
        lo, hi = _CONTACT_COUNTS[company.customer.grade]
        count = ctx.rng.randint(lo, hi)
        names = _names(ctx, company, count)
        for n, (name, local) in enumerate(names):
            contact = _contact(ctx, company, name, local)
            contact.is_primary = n == 0
            contact.is_billing = n == count - 1
            contact.title = _title(ctx, n, count)
            company.contacts.append(contact)
        if company.persona:
            _make_persona(ctx, company)
        contacts += company.contacts
    return contacts


def _names(ctx: SeedContext, company: Company, count: int) -> list[tuple[str, str]]:
    rng = ctx.rng
    if company.persona:
        name, local, _ = _PERSONA_CONTACTS[company.persona]
        taken = [(name, local)]
    else:
        taken = []
    while len(taken) < count:
        if company.region in ("HK", "TW"):
            candidate = rng.choice(vocabulary.TRADITIONAL_NAMES)
        else:
            (surname, s_py), (given, g_py) = (
                rng.choice(vocabulary.SURNAMES),
                rng.choice(vocabulary.GIVEN_NAMES),
            )
            candidate = (surname + given, f"{g_py}.{s_py}")
        if all(candidate[0] != name for name, _ in taken):
            taken.append(candidate)
    return taken


def _contact(ctx: SeedContext, company: Company, name: str, local: str) -> Contact:
    rng = ctx.rng
    phone_region = company.region if company.region in ("HK", "TW") else "CN"
    if company.region in ("HK", "TW"):
        locale = "zh_TW"
    elif company.region == "INTL":
        locale = rng.choice(("en", "en", "zh_CN"))
    else:
        locale = "en" if rng.random() < 0.05 else "zh_CN"
    return Contact(
        customer_id=company.customer.id,
        name=name,
        phone=numbers.mobile(rng, phone_region),
        email=f"{local}@{company.email_domain}",
        birthday=_birthday(ctx) if rng.random() < 0.9 else None,
        locale=locale,
        consent_greetings=rng.random() < 0.85,
        consent_marketing=rng.random() < 0.35,
        notes=_relationship_notes(ctx) if company.customer.grade != Grade.C and rng.random() < 0.6 else None,
        created_at=ctx.at(company.customer.cooperation_since or ctx.today),
    )


def _title(ctx: SeedContext, n: int, count: int) -> str:
    if n == 0:
        return ctx.rng.choice(vocabulary.TITLES_PRIMARY)
    if n == count - 1:
        return ctx.rng.choice(vocabulary.TITLES_BILLING)
    return ctx.rng.choice(vocabulary.TITLES_OTHER)


def _birthday(ctx: SeedContext) -> dt.date:
    rng = ctx.rng
    year = rng.randint(1965, 1996)
    if rng.random() < _UPCOMING_BIRTHDAYS:
        day = ctx.today + dt.timedelta(days=rng.randint(0, 14))
        return birthday_in(year, day)
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def birthday_in(year: int, day: dt.date) -> dt.date:
    """The birthday `day` falls on, born in `year`; 29 February moves to a leap year."""
    if (day.month, day.day) == (2, 29):
        year -= year % 4
    return day.replace(year=year)


def _relationship_notes(ctx: SeedContext) -> str:
    rng = ctx.rng
    return "；".join(
        rng.choice(part) for part in (vocabulary.INTERESTS, vocabulary.EDUCATION, vocabulary.STYLES)
    )


def _make_persona(ctx: SeedContext, company: Company) -> None:
    """The persona is the primary contact, linked to the demo's Telegram user, with a birthday in two days."""
    key = company.persona or ""
    contact = company.primary
    contact.title = _PERSONA_CONTACTS[key][2]
    contact.telegram_user_id = persona(key).telegram_user_id
    contact.locale = "zh_TW" if key == "customer_tw" else "zh_CN"
    contact.birthday = birthday_in(1988, ctx.today + dt.timedelta(days=2))
    contact.consent_greetings = contact.consent_marketing = True
