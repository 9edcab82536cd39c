"""Files the bot sends: a workbook rendered off the event loop, then uploaded as a document.

Rendering a large export takes a moment of CPU: in a thread, other chats are answered meanwhile. The
thread sees the handler's locale (asyncio.to_thread copies the context), so headers come out translated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from aiogram import Bot
from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _

from portcrm.services.exports.workbook import Sheet, xlsx


async def send_workbook(
    bot: Bot, chat_id: int, sheets: Sequence[Sheet], filename: str, caption: str, tz: dt.tzinfo
) -> None:
    data = await asyncio.to_thread(xlsx, sheets, _, tz)
    await bot.send_document(chat_id, BufferedInputFile(data, filename=filename), caption=caption)
