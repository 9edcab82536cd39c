"""The sender against a sandbox that enforces Telegram's flood limits: it paces itself and never hears 429."""

from __future__ import annotations

import itertools

import pytest

from portcrm.enums import NotificationStatus
from tests.sender_support import TOKEN, sender_world

GROUP = -100_777


@pytest.mark.slow
async def test_sixty_notifications_to_three_chats_arrive_in_order_a_second_apart(database_url: str) -> None:
    async with sender_world(database_url) as world:
        chats = [world.started_user(user_id).id for user_id in (701, 702, 703)]
        await world.enqueue(
            *((f"n{chat}-{i}", chat, f"news {i} for {chat}") for i in range(20) for chat in chats)
        )
        rows = await world.settled(timeout=40)

        assert {row.status for row in rows} == {NotificationStatus.SENT}
        assert world.flood_refusals == []
        for chat in chats:
            assert world.texts(chat) == [f"news {i} for {chat}" for i in range(20)]
            times = world.accepted[chat]
            assert min(b - a for a, b in itertools.pairwise(times)) >= 0.99
        first_three = [call.params["chat_id"] for call in world.sandbox.calls_to("sendMessage")[:3]]
        assert sorted(map(int, first_three)) == chats  # nobody waits while one chat is served


async def test_thirty_alerts_to_a_group_go_out_as_a_few_digests(database_url: str) -> None:
    async with sender_world(database_url) as world:
        world.sandbox.add_group(GROUP, "Finance")
        alerts = [
            f"<b>Alert {i:02d}</b>: " + "overdue invoice, please call the customer. " * 6 for i in range(30)
        ]
        await world.enqueue(*((f"g{i}", GROUP, text) for i, text in enumerate(alerts)))
        rows = await world.settled()

        digests = world.sandbox.messages(GROUP, TOKEN)
        assert 2 <= len(digests) <= 4
        assert all(len(message.text or "") <= 4096 for message in digests)
        joined = "\n".join(message.text or "" for message in digests)
        positions = [joined.index(f"Alert {i:02d}") for i in range(30)]
        assert positions == sorted(positions)  # every alert, in order
        assert {row.status for row in rows} == {NotificationStatus.SENT}
        assert {row.telegram_message_id for row in rows} == {m.message_id for m in digests}
        assert world.flood_refusals == []


async def test_a_group_notification_with_buttons_keeps_them_and_is_not_merged(database_url: str) -> None:
    async with sender_world(database_url) as world:
        world.sandbox.add_group(GROUP, "Operations")
        await world.enqueue(("plain-1", GROUP, "one"), ("plain-2", GROUP, "two"))
        await world.settled()
        markup = {"inline_keyboard": [[{"text": "Open", "callback_data": "cx:1"}]]}
        await world.enqueue(("button", GROUP, "three"), markup=markup)
        await world.enqueue(("plain-3", GROUP, "four"))
        await world.settled()

        digests = world.sandbox.messages(GROUP, TOKEN)
        assert [m.text for m in digests][-2:] == ["three", "four"]
        assert digests[-2].buttons == [[("Open", "cx:1")]]


@pytest.mark.slow
async def test_with_sends_in_flight_each_chat_still_gets_its_order_and_one_a_second(
    database_url: str,
) -> None:
    async with sender_world(database_url, window=4) as world:
        busy = [world.started_user(user_id).id for user_id in (711, 712, 713)]
        quiet = [world.started_user(user_id).id for user_id in range(720, 760)]
        await world.enqueue(
            *((f"b{chat}-{i}", chat, f"news {i} for {chat}") for i in range(5) for chat in busy)
        )
        await world.enqueue(*((f"q{chat}", chat, f"hello {chat}") for chat in quiet))
        rows = await world.settled()

        assert {row.status for row in rows} == {NotificationStatus.SENT}
        assert world.flood_refusals == []
        for chat in busy:
            assert world.texts(chat) == [f"news {i} for {chat}" for i in range(5)]
            assert min(b - a for a, b in itertools.pairwise(world.accepted[chat])) >= 0.99
        assert all(world.texts(chat) == [f"hello {chat}"] for chat in quiet)
        times = world.accepted_times
        assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 27  # rate + 2
