"""Identities of recent chat users, kept between updates until anything they are made of changes.

Every update needs its user's `Identity` (users.py: roles, linked contact and customer, language), and
reading it is a query and a transaction per update. It changes rarely, so the chat edge keeps it here and
uses it again while all of these hold:

- the identity generation is the one it was read with. The number is raised by triggers in the transaction of
  any change to a link, a role, a staff record or a language (portcrm/models/generations.py, migration 0014),
  whoever makes it; the edge reads it (`observe`) in the transaction that takes each fetched batch or webhook
  update, and after an update that wrote anything, so a change is seen by the next update taken after it
  committed, in this process or any other;
- the user's last-seen time is less than `SEEN_RESOLUTION` old (reading it again records the new one);
- the user's Telegram app speaks the language read (a change is recorded);
- the user is not blocked, or the update does not come from their private chat (which unblocks them).

Otherwise the identity is read afresh (`identify_seen`), with the generation in the same statement: one read
before a change but finished after it is not kept.
"""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Generation
from portcrm.models.base import utcnow
from portcrm.services.identity.users import (
    IDENTITY_GENERATION,
    SEEN_RESOLUTION,
    Identity,
    Seen,
    TelegramProfile,
    identify_seen,
)
from portcrm.settings import Locale

RECENT_USERS = 10_000  # identities kept at most: a few MB
_generations = Generation.__table__.c
_GENERATION = select(_generations.value).where(_generations.name == IDENTITY_GENERATION)


async def identity_generation(session: AsyncSession) -> int:
    """The identity generation, in the caller's transaction."""
    return await session.scalar(_GENERATION) or 0


class KnownIdentities:
    def __init__(self, size: int = RECENT_USERS) -> None:
        self.size = size
        self.generation: int | None = None  # as last read; None before the first read
        self._seen: OrderedDict[int, Seen] = OrderedDict()

    async def observe(self, session: AsyncSession) -> None:
        """Read the generation in the caller's transaction: everything kept is forgotten if it moved."""
        self.moved_to(await identity_generation(session))

    def moved_to(self, generation: int) -> None:
        if generation != self.generation:
            self._seen.clear()
            self.generation = generation

    def forget_all(self) -> None:
        """When the generation could not be read: nothing kept can be trusted."""
        self._seen.clear()
        self.generation = None

    async def identify(
        self, session: AsyncSession, profile: TelegramProfile, default_locale: Locale, *, in_private: bool
    ) -> Identity:
        """The user's identity: the kept one while it holds (see the module's docstring), else read."""
        seen = self._seen.get(profile.user_id)
        if (
            seen is not None
            and seen.generation == self.generation
            and utcnow() - seen.seen_at <= SEEN_RESOLUTION
            and seen.telegram_language == profile.language_code
            and not (seen.blocked and in_private)
        ):
            self._seen.move_to_end(profile.user_id)
            return seen.identity
        seen = await identify_seen(session, profile, default_locale, in_private=in_private)
        if self.generation is None or seen.generation > self.generation:
            self.moved_to(seen.generation)
        if seen.generation == self.generation:  # an older read is not kept
            self._seen[profile.user_id] = seen
            self._seen.move_to_end(profile.user_id)
            if len(self._seen) > self.size:
                self._seen.popitem(last=False)
        return seen.identity
