"""Who may post DCSA events: a named subscription with its Subscription-ID and shared secret.

The operator adds one per publisher (`portcrm feeds add NAME`) and gives the publisher the two values printed
once: the Subscription-ID it sends in every POST, and the secret it signs them with (the `secret` field of
its DCSA subscription). A secret is 64 random bytes in Base64, the length DCSA's reference implementation
takes. Rotating it keeps the old one valid for a grace period, so batches signed before the publisher
switched over still arrive. Secrets leave this module only as the return value that is printed once, and
as the `Publisher` the receiver checks a signature against; nothing here logs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_, Conflict, InvalidInput, NotFound
from portcrm.models import FeedSubscription
from portcrm.models.base import utcnow
from portcrm.storage.transaction import transactional

SECRET_BYTES = 64
# its Base64 text, whole: what bot/runtime/logs.py blanks out of every log line
FEED_SECRET = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==")
MAX_NAME = 100
MAX_GRACE = dt.timedelta(days=30)
DEFAULT_GRACE = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription as the operator sees it: never its secrets."""

    name: str
    subscription_id: str
    created_at: dt.datetime
    rotated_at: dt.datetime | None
    previous_secret_until: dt.datetime | None  # None once the previous secret has lapsed


@dataclass(frozen=True, slots=True)
class Publisher:
    """What the receiver checks a POST against: the secrets valid now (current first)."""

    name: str
    subscription_id: str
    secrets: tuple[str, ...]


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@transactional
async def add_subscription(session: AsyncSession, name: str) -> tuple[Subscription, str]:
    """A new subscription and its secret, which is returned this once."""
    name = _checked_name(name)
    if await _named(session, name) is not None:
        raise Conflict(N_("A feed subscription named {name} already exists."), name=name)
    secret = new_secret()
    row = FeedSubscription(name=name, subscription_id=str(uuid.uuid4()), secret=secret, created_at=utcnow())
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # added meanwhile by another operator; the error's text holds the secret
        raise Conflict(N_("A feed subscription named {name} already exists."), name=name) from None
    return _view(row, utcnow()), secret


async def list_subscriptions(session: AsyncSession) -> list[Subscription]:
    now = utcnow()
    rows = await session.scalars(select(FeedSubscription).order_by(FeedSubscription.name))
    return [_view(row, now) for row in rows]


@transactional
async def rotate_secret(
    session: AsyncSession, name: str, grace: dt.timedelta = DEFAULT_GRACE
) -> tuple[Subscription, str]:
    """A new secret, returned this once; the current one stays valid for `grace` (none when zero)."""
    if not dt.timedelta(0) <= grace <= MAX_GRACE:
        hours = int(MAX_GRACE.total_seconds() // 3600)
        raise InvalidInput(N_("The grace period must be from 0 to {hours} hours."), hours=hours)
    row = await _existing(session, name)
    now = utcnow()
    secret = new_secret()
    row.previous_secret, row.previous_secret_until = (row.secret, now + grace) if grace else (None, None)
    row.secret, row.rotated_at = secret, now
    await session.flush()
    return _view(row, now), secret


@transactional
async def remove_subscription(session: AsyncSession, name: str) -> None:
    """The publisher can post no more; the events it sent stay."""
    row = await _existing(session, name)
    await session.execute(delete(FeedSubscription).where(FeedSubscription.id == row.id))


async def publisher(session: AsyncSession, subscription_id: str) -> Publisher | None:
    """The subscription a POST names, with the secrets valid now; None when there is none."""
    row = await session.scalar(
        select(FeedSubscription).where(FeedSubscription.subscription_id == subscription_id)
    )
    if row is None:
        return None
    valid = [row.secret]
    if row.previous_secret and row.previous_secret_until and row.previous_secret_until > utcnow():
        valid.append(row.previous_secret)
    return Publisher(row.name, row.subscription_id, tuple(valid))


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidInput(N_("A feed subscription name is 1 to {max} printable characters."), max=MAX_NAME)
    return name


async def _named(session: AsyncSession, name: str) -> FeedSubscription | None:
    return await session.scalar(select(FeedSubscription).where(FeedSubscription.name == name))


async def _existing(session: AsyncSession, name: str) -> FeedSubscription:
    row = await _named(session, name.strip())
    if row is None:
        raise NotFound(N_("No feed subscription named {name}."), name=name.strip())
    return row


def _view(row: FeedSubscription, now: dt.datetime) -> Subscription:
    until = row.previous_secret_until
    return Subscription(
        name=row.name,
        subscription_id=row.subscription_id,
        created_at=row.created_at,
        rotated_at=row.rotated_at,
        previous_secret_until=until if row.previous_secret and until and until > now else None,
    )
