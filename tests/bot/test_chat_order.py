"""A chat's updates take the conversation lock in arrival order, whatever delays them before it."""

from __future__ import annotations

import asyncio

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.pipeline.chat_order import ChatTurns, InTurns, _current

KEY = StorageKey(bot_id=1, chat_id=7, user_id=7)


async def _update(
    turns: ChatTurns, isolation: InTurns, order: list[str], name: str, *, delay: float, lock: bool = True
) -> None:
    """One update: its turn taken at once, then a wait (a database write), then the lock, if it asks."""
    turn = turns.take((KEY.chat_id, KEY.user_id))
    _current.set(turn)
    try:
        await asyncio.sleep(delay)
        if lock:
            async with isolation.lock(KEY):
                order.append(name)
                await asyncio.sleep(0.01)
    finally:
        turns.done(turn)


async def test_a_later_update_cannot_overtake_an_earlier_one_of_the_same_chat() -> None:
    turns = ChatTurns()
    isolation = InTurns(SimpleEventIsolation(), turns)
    order: list[str] = []
    await asyncio.gather(
        _update(turns, isolation, order, "first", delay=0.05),
        _update(turns, isolation, order, "second", delay=0),
        _update(turns, isolation, order, "third", delay=0.02),
    )
    assert order == ["first", "second", "third"]


async def test_an_update_that_never_asks_for_the_lock_does_not_hold_up_the_next() -> None:
    turns = ChatTurns()
    isolation = InTurns(SimpleEventIsolation(), turns)
    order: list[str] = []
    async with asyncio.timeout(5):
        await asyncio.gather(
            _update(turns, isolation, order, "set aside", delay=0.05, lock=False),
            _update(turns, isolation, order, "next", delay=0),
        )
    assert order == ["next"]
    assert turns._queues == {}, "nothing is left waiting"


async def test_other_chats_do_not_wait() -> None:
    turns = ChatTurns()
    held = turns.take((1, 1))
    other = turns.take((2, 2))
    assert other.ready.is_set()
    assert not turns.take((1, 1)).ready.is_set()
    turns.done(held)
