"""Telegram misbehaving: every notification is still delivered exactly once, or given up for a good reason."""

from __future__ import annotations

import logging

import pytest

from portcrm.enums import NotificationStatus
from portcrm.messaging.outbox import MAX_ATTEMPTS
from tests.faults.support import ATTEMPT_TIMEOUT
from tests.sender_support import sender_world

GROUP = -100_888


async def test_a_429_a_server_error_and_a_timeout_delay_but_lose_or_repeat_nothing(database_url: str) -> None:
    # a send timeout a loaded machine's honest send stays under (0.3 s did not), and a hang well past it
    async with sender_world(database_url, send_timeout=ATTEMPT_TIMEOUT, backoff_base=0.2) as world:
        waits, flaky, slow = (world.started_user(user_id).id for user_id in (801, 802, 803))
        world.sandbox.faults.add("sendMessage", 429, retry_after=1, chat_id=waits)
        world.sandbox.faults.add("sendMessage", 500, times=2, chat_id=flaky)
        world.sandbox.faults.add("sendMessage", "timeout", delay=10 * ATTEMPT_TIMEOUT, chat_id=slow)
        await world.enqueue(
            *((f"{chat}-{i}", chat, f"{i} to {chat}") for chat in (waits, flaky, slow) for i in range(2))
        )
        rows = await world.settled()

        assert {row.status for row in rows} == {NotificationStatus.SENT}
        for chat in (waits, flaky, slow):
            assert world.texts(chat) == [f"{i} to {chat}" for i in range(2)]  # once each, in order
        attempts = {row.idempotency_key: row.attempts for row in rows}
        assert attempts[f"{waits}-0"] == 1  # waiting as told is not a failed attempt
        assert attempts[f"{flaky}-0"] == 3
        assert attempts[f"{slow}-0"] == 2
        assert world.flood_refusals == []


async def test_a_notification_is_given_up_after_max_attempts(database_url: str) -> None:
    async with sender_world(database_url, backoff_base=0.01) as world:
        chat = world.started_user(811).id
        world.sandbox.faults.add("sendMessage", 502, times=MAX_ATTEMPTS, chat_id=chat)
        await world.enqueue(("doomed", chat, "never"), ("next", chat, "after it"))
        rows = await world.settled()

        assert [(r.status, r.attempts) for r in rows] == [
            (NotificationStatus.FAILED, MAX_ATTEMPTS),
            (NotificationStatus.SENT, 1),
        ]
        assert world.texts(chat) == ["after it"]


async def test_a_user_who_never_started_the_bot_is_parked_and_holds_up_nobody(database_url: str) -> None:
    async with sender_world(database_url) as world:
        stranger = world.sandbox.add_user(821, "Stranger").id  # never opened the bot
        friend = world.started_user(822).id
        await world.enqueue(("s1", stranger, "a"), ("s2", stranger, "b"), ("f1", friend, "c"))
        rows = await world.settled()

        assert [row.status for row in rows] == [
            NotificationStatus.PARKED,
            NotificationStatus.PARKED,
            NotificationStatus.SENT,
        ]
        assert "chat not found" in (rows[0].last_error or "")
        assert len(world.sandbox.calls_to("sendMessage")) == 2  # the second one to the stranger was not tried


async def test_a_message_telegram_refuses_fails_alone_and_its_digest_goes_out_without_it(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with sender_world(database_url) as world:
        world.sandbox.add_group(GROUP, "Market")
        await world.enqueue(
            ("ok-1", GROUP, "first"), ("broken", GROUP, "<b>unclosed"), ("ok-2", GROUP, "last")
        )
        with caplog.at_level(logging.ERROR, logger="bot.delivery"):
            rows = await world.settled()

        assert [row.status for row in rows] == [
            NotificationStatus.SENT,
            NotificationStatus.FAILED,
            NotificationStatus.SENT,
        ]
        assert "can't parse entities" in (rows[1].last_error or "")
        assert world.texts(GROUP) == ["first", "last"]
        assert any("refused by Telegram" in record.getMessage() for record in caplog.records)


async def test_two_senders_never_send_the_same_notification_even_when_a_send_is_slow(
    database_url: str,
) -> None:
    async with sender_world(database_url, senders=2, claim_lease=2.0) as world:
        chats = [world.started_user(user_id).id for user_id in range(831, 841)]
        # held for longer than the lease: only the renewal keeps the other sender off it
        world.sandbox.faults.add("sendMessage", "timeout", delay=3.0, chat_id=chats[0])
        await world.enqueue(*((f"{chat}-{i}", chat, f"{i} to {chat}") for chat in chats for i in range(3)))
        rows = await world.settled()

        assert {row.status for row in rows} == {NotificationStatus.SENT}
        for chat in chats:
            assert world.texts(chat) == [f"{i} to {chat}" for i in range(3)]


async def test_a_502_page_and_dropped_connections_are_retried_quietly(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with sender_world(database_url, backoff_base=0.05) as world:
        paged, dropped = (world.started_user(user_id).id for user_id in (851, 852))
        world.sandbox.faults.add("sendMessage", 502, times=2, chat_id=paged)  # Telegram's HTML page
        world.sandbox.faults.add("sendMessage", "drop", times=2, chat_id=dropped)
        await world.enqueue(("paged", paged, "through a 502"), ("dropped", dropped, "through drops"))
        with caplog.at_level(logging.WARNING, logger="bot.delivery"):
            rows = await world.settled()

        assert [(row.status, row.attempts) for row in rows] == [(NotificationStatus.SENT, 3)] * 2
        assert world.texts(paged) == ["through a 502"]
        assert world.texts(dropped) == ["through drops"]
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert all(r.exc_info is None for r in caplog.records), "a transient failure is no traceback"


async def test_a_429_for_one_chat_holds_that_chat_and_nobody_else(database_url: str) -> None:
    async with sender_world(database_url) as world:
        waits, others = (world.started_user(user_id).id for user_id in (861, 862))
        world.sandbox.faults.add("sendMessage", 429, retry_after=3, chat_id=waits)
        await world.enqueue(("first", waits, "told to wait"), ("second", others, "not held up"))
        rows = await world.settled()

        assert {row.status for row in rows} == {NotificationStatus.SENT}
        sent = [call.params["chat_id"] for call in world.sandbox.calls_to("sendMessage") if call.ok]
        assert sent == [str(others), str(waits)], "the other chat went while the first waited"
        assert [row.attempts for row in rows] == [1, 1]
