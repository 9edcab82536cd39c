"""Instances on one PostgreSQL and one Redis: one sender holds the lease at a time, so the limits hold."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable

import pytest

from bot.delivery.leadership import MARGIN, STANDBY_RETRY, RedisLease
from portcrm.enums import NotificationStatus
from tests.conftest import REDIS_URL, requires_pg, requires_redis
from tests.sender_support import SenderWorld, sender_world

pytestmark = requires_redis


def _token() -> str:
    """A bot of its own per test: the lease is per bot, and Redis outlives the test."""
    return f"{random.randrange(7_200_000, 7_299_999)}:PORTCRM-sender-instances"


async def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a deadline
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("it never happened")


def _holder(world: SenderWorld) -> int:
    [holder] = [n for n, (sender, _) in enumerate(world.senders) if sender.leadership.held]
    return holder


@pytest.mark.slow
@requires_pg
async def test_two_instances_send_everything_once_within_the_overall_rate(pg_database_url: str) -> None:
    assert REDIS_URL is not None
    async with sender_world(pg_database_url, senders=2, redis_url=REDIS_URL, token=_token()) as world:
        chats = [world.started_user(user_id).id for user_id in range(1001, 1061)]
        await world.enqueue(*((f"{chat}-{i}", chat, f"{i} to {chat}") for i in range(2) for chat in chats))
        rows = await world.settled()

        assert {row.status for row in rows} == {NotificationStatus.SENT}
        assert world.flood_refusals == []
        for chat in chats:
            assert world.texts(chat) == [f"{i} to {chat}" for i in range(2)]  # once each, in order
            assert min(b - a for a, b in itertools.pairwise(world.accepted[chat])) >= 0.99
        times = world.accepted_times
        assert len(times) == 120
        assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 27  # rate + 2
        assert (len(times) - 1) / (times[-1] - times[0]) <= 25 * 1.05


@pytest.mark.slow
@requires_pg
async def test_when_the_sending_instance_stops_the_other_takes_over(pg_database_url: str) -> None:
    assert REDIS_URL is not None
    async with sender_world(pg_database_url, senders=2, redis_url=REDIS_URL, token=_token()) as world:
        chats = [world.started_user(user_id).id for user_id in range(1101, 1131)]
        await world.enqueue(*((f"{chat}-{i}", chat, f"{i} to {chat}") for i in range(4) for chat in chats))
        await _until(lambda: len(world.accepted_times) >= 30)
        holder = _holder(world)
        await world.stop(world.senders[holder][0])  # a clean stop hands the lease over
        rows = await world.settled()

        assert _holder(world) != holder
        assert {row.status for row in rows} == {NotificationStatus.SENT}
        sent = Counter(text for chat in chats for text in world.texts(chat))
        assert sent == Counter(f"{i} to {chat}" for i in range(4) for chat in chats)
        assert world.flood_refusals == []


class TestRedisLease:
    @pytest.fixture
    def key(self) -> str:
        return f"portcrm:test-lease:{random.randrange(10**9)}"

    async def test_one_holds_the_lease_and_the_other_takes_it_once_released(self, key: str) -> None:
        assert REDIS_URL is not None
        first, second = RedisLease(REDIS_URL, key), RedisLease(REDIS_URL, key)
        async with second:
            async with first:
                assert not first.held  # second came first
            assert second.held
        async with first:
            assert first.held

    async def test_a_holder_that_died_is_replaced_when_its_lease_expires(self, key: str) -> None:
        assert REDIS_URL is not None
        lease = 2 * MARGIN + 0.5
        dead = RedisLease(REDIS_URL, key, lease=lease)
        await dead._attempt()  # took it, then died without a word: no renewal, no release
        started = time.monotonic()
        async with RedisLease(REDIS_URL, key, lease=lease) as standby:
            assert not standby.held
            await _until(lambda: standby.held)
        waited = time.monotonic() - started
        assert lease - 0.5 <= waited <= lease + STANDBY_RETRY + 0.5
        assert not dead.held  # it stopped believing so MARGIN seconds before its key expired
        await dead._redis.aclose()
