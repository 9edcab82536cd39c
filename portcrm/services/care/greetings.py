"""Who is greeted on a day, and with what (节日、生日祝福): festivals, birthdays, cooperation anniversaries.

Only contacts who agreed to greetings and can be reached: linked to Telegram without having blocked the
bot, or by e-mail (recipients/channel.py; the same consent either way); each in their language, with their
name and company, signed by their account manager. Festival days come from the port's
calendar (`PortCalendar.festivals`), which never includes Qingming (清明节), a day of remembrance. The
morning job that sends them is portcrm/jobs/greetings.py.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import Festival
from portcrm.enums import CustomerStatus
from portcrm.errors import N_
from portcrm.i18n import gettext_for
from portcrm.models import ChatUser, Contact, Customer, Staff
from portcrm.services.recipients.channel import by_mail
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

# One whole message per festival, so each language can word it its own way. The Chinese follows custom:
# New Year 元旦快乐 / 新年快乐; Spring Festival 恭祝新春、新春快乐, 阖家幸福; Dragon Boat 端午安康
# (wished safe and well, never 快乐); Mid-Autumn 中秋快乐, 阖家团圆 (reunion under the full moon);
# National Day 国庆快乐.
FESTIVAL_GREETINGS = {
    Festival.NEW_YEAR: N_(
        "Dear {name} of {company},\n\nHappy New Year! Thank you for your trust and support over the past "
        "year. We wish you good health and every success in the year ahead.\n\n"
        "With warm wishes from {signature}"
    ),
    Festival.SPRING_FESTIVAL: N_(
        "Dear {name} of {company},\n\nWarmest greetings for the Spring Festival! May the new year bring you "
        "and your family happiness, good health and flourishing business.\n\n"
        "With warm wishes from {signature}"
    ),
    Festival.DRAGON_BOAT: N_(
        "Dear {name} of {company},\n\nWishing you a safe and healthy Dragon Boat Festival, and peace and "
        "well-being to you and your family.\n\nWith warm wishes from {signature}"
    ),
    Festival.MID_AUTUMN: N_(
        "Dear {name} of {company},\n\nHappy Mid-Autumn Festival! May the full moon bring you and your "
        "family joy and a happy reunion.\n\nWith warm wishes from {signature}"
    ),
    Festival.NATIONAL_DAY: N_(
        "Dear {name} of {company},\n\nHappy National Day! We wish you a pleasant holiday and continued "
        "success.\n\nWith warm wishes from {signature}"
    ),
}
# 生日快乐, 身体健康, 万事如意
BIRTHDAY = N_(
    "Dear {name} of {company},\n\nHappy birthday! Wishing you good health, happiness and every success in "
    "the year ahead.\n\nWith warm wishes from {signature}"
)
# 合作周年: thanks for the trust, looking forward to growing together (携手共进)
ANNIVERSARY_ONE = N_(
    "Dear {name} of {company},\n\nToday marks one year of cooperation between {company} and our port. "
    "Thank you for your trust; we look forward to growing together.\n\nWith warm wishes from {signature}"
)
ANNIVERSARY_MANY = N_(
    "Dear {name} of {company},\n\nToday marks {years} years of cooperation between {company} and our port. "
    "Thank you for your trust; we look forward to growing together for many more.\n\n"
    "With warm wishes from {signature}"
)
TEAM_SIGNATURE = N_("the port's customer service team")
BIRTHDAY_KIND, ANNIVERSARY_KIND = "birthday", "anniversary"


@dataclass(frozen=True, slots=True)
class Greetee:
    """A contact who may be greeted, with what the message needs."""

    contact: Contact
    customer: Customer
    locale: Locale
    manager_name: str | None


def falls_on(anniversary: dt.date, today: dt.date) -> bool:
    """Same month and day; a 29 February is kept on 28 February in years without one."""
    if (anniversary.month, anniversary.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (
        (anniversary.month, anniversary.day) == (2, 29) and (today.month, today.day) == (2, 28) and not leap
    )


def anniversary_years(since: dt.date | None, today: dt.date) -> int:
    """Whole years of cooperation completed today, or 0 when today is not the anniversary."""
    return today.year - since.year if since is not None and falls_on(since, today) else 0


MAIL_SUBJECT = N_("Best wishes from the port")


def greeting_text(greetee: Greetee, msgid: str, years: int = 0, *, plain: bool = False) -> str:
    """The greeting in the greetee's language; escaped for the chat's HTML unless `plain` (a mail)."""
    _ = gettext_for(greetee.locale)
    customer = greetee.customer
    company = customer.name_en if greetee.locale == "en" and customer.name_en else customer.name
    signature = greetee.manager_name or _(TEAM_SIGNATURE)

    def escape(value: str) -> str:
        return value if plain else html.escape(value, quote=False)

    return _(msgid).format(
        name=escape(greetee.contact.name), company=escape(company), signature=escape(signature), years=years
    )


@transactional
async def greetees(session: AsyncSession, default_locale: Locale) -> list[Greetee]:
    """Contacts of current customers who opted in and can be reached: on Telegram without having blocked
    the bot, or by e-mail."""
    rows = await session.execute(
        select(Contact, Customer, ChatUser, Staff.name)
        .join(Customer, Customer.id == Contact.customer_id)
        .outerjoin(ChatUser, ChatUser.telegram_user_id == Contact.telegram_user_id)
        .outerjoin(Staff, (Staff.id == Customer.account_manager_id) & Staff.active.is_(True))
        .where(
            Contact.consent_greetings.is_(True),
            Contact.erased_at.is_(None),
            (Contact.telegram_user_id.is_not(None) & ChatUser.blocked_at.is_(None))
            | (
                Contact.email.is_not(None)
                & (Contact.telegram_user_id.is_(None) | Contact.prefers_email.is_(True))
            ),
            Customer.status != CustomerStatus.TERMINATED,
        )
        .order_by(Contact.id)
    )
    return [
        Greetee(contact, customer, recipient_locale(user, contact.locale, default_locale), manager)
        for contact, customer, user, manager in rows
    ]


def due_greetings(
    people: list[Greetee], festivals: list[Festival], today: dt.date
) -> list[tuple[str, Greetee, str]]:
    """(kind, greetee, text) for today: festivals for all, birthdays, and primary contacts' anniversaries;
    the text plain for those greeted by mail."""

    def text(g: Greetee, msgid: str, years: int = 0) -> str:
        return greeting_text(g, msgid, years, plain=by_mail(g.contact))

    due = [
        (festival.value, g, text(g, FESTIVAL_GREETINGS[festival])) for festival in festivals for g in people
    ]
    due += [
        (BIRTHDAY_KIND, g, text(g, BIRTHDAY))
        for g in people
        if g.contact.birthday and falls_on(g.contact.birthday, today)
    ]
    companies: set[int] = set()
    for g in people:
        years = anniversary_years(g.customer.cooperation_since, today) if g.contact.is_primary else 0
        if years >= 1 and g.customer.id not in companies:
            companies.add(g.customer.id)  # one primary contact per company
            msgid = ANNIVERSARY_ONE if years == 1 else ANNIVERSARY_MANY
            due.append((ANNIVERSARY_KIND, g, text(g, msgid, years)))
    return due
