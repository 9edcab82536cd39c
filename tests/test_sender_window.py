"""Rounds overlap: the next round starts while the last one's sends are open, within one window."""

from __future__ import annotations

import itertools
import math

from bot.delivery.digests import Outgoing
from portcrm.enums import NotificationStatus
from tests.sender_support import sender_world


async def test_overlapping_rounds_keep_each_chats_order_and_the_window_bound(database_url: str) -> None:
    async with sender_world(database_url, window=3, rate=math.inf) as world:
        sender = world.senders[0][0]
        sender.round_limit = 2  # rounds smaller than the window, so one starts before the last has landed
        open_now: set[int] = set()
        chat_of: dict[int, int] = {}
        peak: list[int] = []
        call, record = sender._call, sender.recorder.sent

        async def calling(message: Outgoing) -> int:
            assert message.chat_id not in open_now  # a chat never has two messages open
            open_now.add(message.chat_id)
            chat_of.update(dict.fromkeys(message.ids, message.chat_id))
            peak.append(len(open_now))
            return await call(message)

        async def recording(ids: list[int], message_id: int | None) -> None:
            try:
                await record(ids, message_id)
            finally:  # open until its record is committed
                open_now.discard(chat_of[ids[0]])

        sender._call, sender.recorder.sent = calling, recording  # type: ignore[method-assign]
        busy = [world.started_user(user_id).id for user_id in (811, 812, 813)]
        quiet = [world.started_user(user_id).id for user_id in range(820, 840)]
        await world.enqueue(
            *((f"b{chat}-{i}", chat, f"news {i} for {chat}") for i in range(3) for chat in busy)
        )
        await world.enqueue(*((f"q{chat}", chat, f"hello {chat}") for chat in quiet))
        rows = await world.settled()

        assert {row.status for row in rows} == {NotificationStatus.SENT}
        assert world.flood_refusals == []
        assert max(peak) == 3  # two rounds were open at once, and never more than the window
        for chat in busy:
            assert world.texts(chat) == [f"news {i} for {chat}" for i in range(3)]
            assert min(b - a for a, b in itertools.pairwise(world.accepted[chat])) >= 0.99
        assert all(world.texts(chat) == [f"hello {chat}"] for chat in quiet)
