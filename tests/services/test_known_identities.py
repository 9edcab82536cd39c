"""Identities kept between updates (portcrm/services/identity/known.py): used again while they hold, read
again when anything they are made of changed, whoever changed it (migration 0014's triggers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.models import ChatUser, Contact, Staff, StaffRole
from portcrm.models.base import utcnow
from portcrm.services.identity import known as known_module
from portcrm.services.identity.known import KnownIdentities, identity_generation
from portcrm.services.identity.users import TelegramProfile, identify, set_locale
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer, make_staff

USER = 6601
PROFILE = TelegramProfile(USER, "王芳", language_code="zh-hans")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The user ids whose identity was read from the database."""
    read: list[int] = []
    real = known_module.identify_seen

    async def counted(session: AsyncSession, profile: TelegramProfile, *args: object, **kw: object) -> object:
        read.append(profile.user_id)
        return await real(session, profile, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(known_module, "identify_seen", counted)
    return read


async def _observed(db: Database, known: KnownIdentities) -> None:
    async with db.session() as session:
        await known.observe(session)
        await session.commit()


async def _identify(db: Database, known: KnownIdentities, profile: TelegramProfile = PROFILE) -> object:
    async with db.session() as session:
        identity = await known.identify(session, profile, "en", in_private=True)
        await session.commit()
    return identity


async def test_an_identity_is_read_once_then_kept(db: Database, reads: list[int]) -> None:
    known = KnownIdentities()
    await _observed(db, known)
    first = await _identify(db, known)
    assert await _identify(db, known) == first
    assert reads == [USER]


async def test_a_link_made_elsewhere_is_seen_once_the_generation_is_read(
    db: Database, reads: list[int]
) -> None:
    known = KnownIdentities()
    await _observed(db, known)
    assert not (await _identify(db, known)).is_customer  # type: ignore[attr-defined]
    async with db.session() as session:  # another process links the contact
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=USER)
        await session.commit()
    assert not (await _identify(db, known)).is_customer, "kept until the generation is read"  # type: ignore[attr-defined]
    await _observed(db, known)
    identity = await _identify(db, known)
    assert identity.customer_id == customer.id  # type: ignore[attr-defined]
    assert reads == [USER, USER]


async def test_a_new_telegram_language_is_read_again(db: Database, reads: list[int]) -> None:
    known = KnownIdentities()
    await _observed(db, known)
    await _identify(db, known)
    english = TelegramProfile(USER, "王芳", language_code="en")
    assert (await _identify(db, known, english)).locale == "en"  # type: ignore[attr-defined]
    assert reads == [USER, USER]


async def test_an_hour_after_the_last_seen_time_it_is_read_again_and_recorded(
    db: Database, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    known = KnownIdentities()
    await _observed(db, known)
    await _identify(db, known)
    later = utcnow() + dt.timedelta(hours=2)
    monkeypatch.setattr(known_module, "utcnow", lambda: later)
    await _identify(db, known)
    assert reads == [USER, USER]


async def test_a_read_older_than_the_generation_known_is_not_kept(db: Database, reads: list[int]) -> None:
    known = KnownIdentities()
    await _observed(db, known)
    known.moved_to((known.generation or 0) + 1)  # as if a change had been observed after the read began
    await _identify(db, known)
    await _identify(db, known)
    assert reads == [USER, USER]


Change = Callable[[AsyncSession, int], Awaitable[object]]


async def _staff_role_taken(session: AsyncSession, staff_id: int) -> None:
    await session.execute(delete(StaffRole).where(StaffRole.staff_id == staff_id))


async def _staff_deactivated(session: AsyncSession, staff_id: int) -> None:
    await session.execute(update(Staff).where(Staff.id == staff_id).values(active=False))


async def _contact_unlinked(session: AsyncSession, _staff_id: int) -> None:
    await session.execute(
        update(Contact).where(Contact.telegram_user_id == USER).values(telegram_user_id=None)
    )


async def _contact_moved(session: AsyncSession, _staff_id: int) -> None:
    other = await make_customer(session)
    await session.execute(
        update(Contact).where(Contact.telegram_user_id == USER).values(customer_id=other.id)
    )


async def _contact_language(session: AsyncSession, _staff_id: int) -> None:
    await session.execute(update(Contact).where(Contact.telegram_user_id == USER).values(locale="zh_TW"))


async def _language_chosen(session: AsyncSession, _staff_id: int) -> None:
    await set_locale(session, USER, "zh_TW")


async def _blocked(session: AsyncSession, _staff_id: int) -> None:
    await session.execute(
        update(ChatUser).where(ChatUser.telegram_user_id == USER).values(blocked_at=utcnow())
    )


async def _chat_user_erased(session: AsyncSession, _staff_id: int) -> None:
    await session.execute(delete(ChatUser).where(ChatUser.telegram_user_id == USER))


async def _staff_added(session: AsyncSession, _staff_id: int) -> None:
    await make_staff(session, roles=(Role.FINANCE,))


async def _last_seen(session: AsyncSession, _staff_id: int) -> None:
    await session.execute(
        update(ChatUser).where(ChatUser.telegram_user_id == USER).values(last_seen_at=utcnow())
    )


async def _phone(session: AsyncSession, _staff_id: int) -> None:
    await session.execute(
        update(Contact).where(Contact.telegram_user_id == USER).values(phone="+8613900000000")
    )


async def _name_kept(session: AsyncSession, staff_id: int) -> None:
    staff = await session.get(Staff, staff_id)
    assert staff is not None
    staff.name = staff.name  # written, not changed


@pytest.mark.parametrize(
    ("change", "counts"),
    [
        (_staff_role_taken, True),
        (_staff_deactivated, True),
        (_staff_added, True),
        (_contact_unlinked, True),
        (_contact_moved, True),
        (_contact_language, True),
        (_language_chosen, True),
        (_blocked, True),
        (_chat_user_erased, True),
        (_last_seen, False),
        (_phone, False),
        (_name_kept, False),
    ],
)
async def test_what_an_identity_is_made_of_raises_the_generation(
    session: AsyncSession, change: Change, counts: bool
) -> None:
    customer = await make_customer(session)
    await make_contact(session, customer, telegram_user_id=USER)
    staff = await make_staff(session, roles=(Role.MARKET,))
    await identify(session, PROFILE, "en")
    before = await identity_generation(session)
    await session.commit()
    await change(session, staff.id)
    await session.commit()
    after = await identity_generation(session)
    await session.commit()
    assert (after > before) is counts
