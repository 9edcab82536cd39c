"""Files: uploads the bot makes, files users send, photos and albums."""

from __future__ import annotations

import io

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InputMediaPhoto

from sandbox import BotAPISandbox, SandboxBot, SandboxUser, tiny_png


async def test_uploaded_document_bytes_can_be_read_back(
    bot: Bot, sandbox: BotAPISandbox, user: SandboxUser
) -> None:
    csv = "日期,船名\n2026-11-23,中远之星\n".encode()
    sent = await bot.send_document(user.id, BufferedInputFile(csv, filename="events.csv"), caption="导出")
    stored = sandbox.messages(user)[-1]
    assert (stored.kind, stored.data, stored.filename, stored.mime_type, stored.caption) == (
        "document",
        csv,
        "events.csv",
        "text/csv",
        "导出",
    )
    assert sent.document is not None
    buffer = io.BytesIO()
    await bot.download(sent.document.file_id, destination=buffer)
    assert buffer.getvalue() == csv


async def test_user_files_and_photos(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    sandbox.send_document(account.token, user, b"a;b", filename="list.csv")
    sandbox.send_photo(account.token, user, tiny_png(3, 2), caption="货物")
    updates = await bot.get_updates()
    document, photo = updates[-2].message, updates[-1].message
    assert document is not None
    assert document.document is not None
    assert document.document.mime_type == "text/csv"
    assert photo is not None
    assert photo.photo is not None
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    buffer = io.BytesIO()
    await bot.download(document.document.file_id, destination=buffer)
    assert buffer.getvalue() == b"a;b"
    sent = await bot.send_photo(user.id, photo.photo[-1].file_id)
    assert sent.photo is not None
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(user.id, BufferedInputFile(b"not an image", filename="x.png"))


async def test_media_group(bot: Bot, sandbox: BotAPISandbox, user: SandboxUser) -> None:
    photos = [InputMediaPhoto(media=BufferedInputFile(tiny_png(), filename=f"{i}.png")) for i in range(2)]
    album = await bot.send_media_group(user.id, photos)
    assert len(album) == 2
    assert album[0].media_group_id is not None
    assert album[0].media_group_id == album[1].media_group_id
    with pytest.raises(TelegramBadRequest, match="too many messages to send as an album"):
        await bot.send_media_group(user.id, [InputMediaPhoto(media=album[0].photo[-1].file_id)] * 11)  # type: ignore[index]
