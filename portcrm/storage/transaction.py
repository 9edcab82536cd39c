"""The one way a service holds a transaction: `async with transaction(session):`, or `@transactional`.

The block commits when it ends and rolls back when it raises (or the commit fails), so a refused step leaves
nothing behind and SQLite's write lock (taken when a transaction begins, see db.py) is free again before the
edge replies or renders. A block inside another block (a service calling a service) joins it: only the
outermost one commits, and a failure anywhere rolls the whole of it back, whoever catches the error later.

Keep slow work (charts, workbooks) and anything that awaits the network outside the block. A refusal that
reads alone decide (not found, not yours) may be raised after the block instead of in it: the read then ends
in a commit, which leaves the objects the caller holds loaded, while a rollback expires them all and an async
session cannot reload an attribute on access.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

P = ParamSpec("P")
T = TypeVar("T")
_DEPTH = "portcrm.transaction_depth"


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            await session.commit()
    except Exception:  # a failed commit too: its flush leaves the session unusable until a rollback
        await session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def transactional(
    fn: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
) -> Callable[Concatenate[AsyncSession, P], Awaitable[T]]:
    """The whole service function is one `transaction(session)` block."""

    @wraps(fn)
    async def wrapper(session: AsyncSession, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async with transaction(session):
            return await fn(session, *args, **kwargs)

    return wrapper
