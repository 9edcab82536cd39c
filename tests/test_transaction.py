"""storage.transaction: the outermost block commits, any failure (the commit's own too) rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Notification
from portcrm.storage.db import Database
from portcrm.storage.transaction import transaction, transactional


def _row(key: str) -> Notification:
    return Notification(idempotency_key=key, kind="test", chat_id=1, text="x")


async def _keys(db: Database) -> list[str]:
    async with db.session() as session:
        return list(await session.scalars(select(Notification.idempotency_key).order_by(Notification.id)))


@transactional
async def _add(session: AsyncSession, key: str) -> None:
    session.add(_row(key))


async def test_only_the_outermost_block_commits(db: Database) -> None:
    async with db.session() as session, transaction(session):
        await _add(session, "inner")
        await session.flush()
        assert session.in_transaction(), "the inner block joined the outer one"
    assert await _keys(db) == ["inner"]


async def _outer_then_failing_inner(session: AsyncSession) -> None:
    async with transaction(session):
        await _add(session, "outer")
        async with transaction(session):
            await _add(session, "inner")
            raise LookupError


async def test_a_failure_anywhere_rolls_the_whole_block_back(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(LookupError):
            await _outer_then_failing_inner(session)
        assert not session.in_transaction()
    assert await _keys(db) == []


async def test_a_failed_commit_rolls_back_and_the_session_serves_on(db: Database) -> None:
    async with db.session() as session:
        await _add(session, "taken")
        with pytest.raises(IntegrityError):
            await _add(session, "taken")
        await _add(session, "next")
        assert await session.scalar(select(func.count()).select_from(Notification)) == 2
    assert await _keys(db) == ["taken", "next"]
