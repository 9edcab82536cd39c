"""Who a chat user is to the port: staff with roles, a customer's contact, or not yet linked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_, InvalidInput
from portcrm.models import ChatUser, Contact, Generation, Staff
from portcrm.models.base import utcnow
from portcrm.services.recipients.language import recipient_locale
from portcrm.services.recipients.reachability import back_in_reach
from portcrm.settings import LOCALES, Locale
from portcrm.storage.transaction import transactional

# last_seen is bookkeeping: refreshing it on every update would make every read a write
SEEN_RESOLUTION = dt.timedelta(hours=1)
IDENTITY_GENERATION = "identity"  # the generations row that changes with anything an Identity is made of
_GENERATION = select(Generation.value).where(Generation.name == IDENTITY_GENERATION)


@dataclass(frozen=True, slots=True)
class Identity:
    telegram_user_id: int
    locale: Locale
    roles: frozenset[Role] = frozenset()
    staff_id: int | None = None
    staff_name: str | None = None
    contact_id: int | None = None
    customer_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None

    @property
    def is_customer(self) -> bool:
        return self.customer_id is not None

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """The plain facts of a Telegram user that the chat edge hands to the core."""

    user_id: int
    first_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """An identity as read, with what says when it must be read again (known.py)."""

    identity: Identity
    telegram_language: str | None
    seen_at: dt.datetime  # the user's last-seen time, as now recorded
    blocked: bool
    generation: int  # of the identity generation, read with it


async def identify(
    session: AsyncSession, profile: TelegramProfile, default_locale: Locale, *, in_private: bool = True
) -> Identity:
    """Who the user is (see `identify_seen`)."""
    return (await identify_seen(session, profile, default_locale, in_private=in_private)).identity


@transactional
async def identify_seen(
    session: AsyncSession, profile: TelegramProfile, default_locale: Locale, *, in_private: bool = True
) -> Seen:
    """The user, their staff record and their contact, in one query with the identity generation.

    An update from the user's private chat (`in_private`) proves the bot can write to them: what was parked
    while they could not be reached (never started the bot, or blocked it) is released. A message in a
    group proves nothing of the sort.
    """
    now = utcnow()
    user, staff, contact, generation = await _lookup(session, profile.user_id)
    if user is None:
        user = ChatUser(
            telegram_user_id=profile.user_id,
            first_name=profile.first_name,
            username=profile.username,
            telegram_language=profile.language_code,
            first_seen_at=now,
            last_seen_at=now,
        )
        session.add(user)
        if in_private:
            await back_in_reach(session, profile.user_id)
    elif (
        now - user.last_seen_at > SEEN_RESOLUTION
        or user.telegram_language != profile.language_code
        or (user.blocked_at is not None and in_private)
    ):
        user.last_seen_at = now
        user.telegram_language = profile.language_code
        if user.blocked_at is not None and in_private:
            user.blocked_at = None
            user.first_name, user.username = profile.first_name, profile.username
            await back_in_reach(session, profile.user_id)
    if session.new or session.dirty:  # the triggers raise the generation with what was written here
        await session.flush()
        generation = await session.scalar(_GENERATION) or 0
    identity = Identity(
        telegram_user_id=profile.user_id,
        locale=recipient_locale(user, contact.locale if contact else None, default_locale),
        roles=staff.role_set if staff else frozenset(),
        staff_id=staff.id if staff else None,
        staff_name=staff.name if staff else None,
        contact_id=contact.id if contact else None,
        customer_id=contact.customer_id if contact else None,
    )
    return Seen(identity, user.telegram_language, user.last_seen_at, user.blocked_at is not None, generation)


async def _lookup(
    session: AsyncSession, user_id: int
) -> tuple[ChatUser | None, Staff | None, Contact | None, int]:
    """The chat user, active staff record and contact of a Telegram user, each of which may be missing,
    and the identity generation, all read by one statement."""
    who = select(literal(user_id, BigInteger).label("id")).subquery()
    generation = _GENERATION.scalar_subquery()
    row = (
        await session.execute(
            select(ChatUser, Staff, Contact, generation)
            .select_from(who)
            .outerjoin(ChatUser, ChatUser.telegram_user_id == who.c.id)
            .outerjoin(Staff, (Staff.telegram_user_id == who.c.id) & Staff.active.is_(True))
            .outerjoin(Contact, Contact.telegram_user_id == who.c.id)
        )
    ).one()
    return row[0], row[1], row[2], row[3] or 0


@transactional
async def set_locale(session: AsyncSession, telegram_user_id: int, locale: str) -> None:
    if locale not in LOCALES:
        raise InvalidInput(N_("Unknown language: {value}"), value=locale)
    user = await session.get(ChatUser, telegram_user_id)
    if user is None:
        user = ChatUser(telegram_user_id=telegram_user_id)
        session.add(user)
    user.locale = locale
