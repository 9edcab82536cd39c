"""Shutdown waits for updates still being handled, so their replies are not cut off."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram.types import TelegramObject

from bot.pipeline.inflight import InFlight


async def test_drained_waits_for_every_update_in_flight() -> None:
    inflight = InFlight()
    release = asyncio.Event()
    finished: list[int] = []

    async def slow_handler(event: TelegramObject, data: dict[str, Any]) -> None:
        await release.wait()
        finished.append(1)

    tasks = [asyncio.create_task(inflight(slow_handler, TelegramObject(), {})) for _ in range(2)]
    await asyncio.sleep(0)
    drained = asyncio.create_task(inflight.drained())
    await asyncio.sleep(0.05)
    assert not drained.done(), "two updates are still being handled"
    release.set()
    await asyncio.wait_for(drained, 10)
    assert finished == [1, 1]
    await asyncio.gather(*tasks)
    await asyncio.wait_for(inflight.drained(), 10)  # idle again: returns at once
