"""Telegram's limits, enforced against the real aiogram client."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sandbox import BotAPISandbox, SandboxUser


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=list(rows))


async def test_html_round_trips_as_plain_text_and_entities(
    bot: Bot, user: SandboxUser, sandbox: BotAPISandbox
) -> None:
    html = '<b>船期</b> &amp; <a href="https://example.com">详情</a> 😀<code>MSKU1234565</code>'
    sent = await bot.send_message(user.id, html, parse_mode="HTML")
    assert sent.text == "船期 & 详情 😀MSKU1234565"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [
        ("bold", 0, 2),
        ("text_link", 5, 2),
        ("code", 10, 11),
    ]
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    stored = sandbox.messages(user)[-1]
    assert (stored.html, stored.text, stored.message_id) == (html, sent.text, sent.message_id)
    assert sandbox.rejected == []


async def test_invalid_html_raises_bad_request(bot: Bot, user: SandboxUser, sandbox: BotAPISandbox) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(user.id, "<b>unclosed", parse_mode="HTML")
    assert [c.method for c in sandbox.rejected] == ["sendMessage"]
    assert sandbox.messages(user) == []


@pytest.mark.parametrize(
    ("text", "parse_mode"),
    [
        ("a" * 4096, None),
        ("你" * 4096, None),
        ("😀" * 2048, None),  # 2 UTF-16 units each
        ("<b>" + "船" * 4096 + "</b>", "HTML"),  # tags are not counted
        ("&lt;" * 4096, "HTML"),  # an entity counts as the one character it stands for
    ],
)
async def test_text_of_4096_characters_is_accepted(
    bot: Bot, user: SandboxUser, text: str, parse_mode: str | None
) -> None:
    sent = await bot.send_message(user.id, text, parse_mode=parse_mode)
    assert sent.text is not None


@pytest.mark.parametrize(
    ("text", "parse_mode"),
    [
        ("a" * 4097, None),
        ("你" * 4097, None),
        ("😀" * 2048 + "a", None),
        ("<i>" + "船" * 4097 + "</i>", "HTML"),
    ],
)
async def test_text_over_4096_characters_is_refused(
    bot: Bot, user: SandboxUser, text: str, parse_mode: str | None
) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user.id, text, parse_mode=parse_mode)


async def test_empty_and_blank_text_are_refused(bot: Bot, user: SandboxUser) -> None:
    for text in ("", "  \n ", "<b> </b>"):
        with pytest.raises(TelegramBadRequest, match="message text is empty"):
            await bot.send_message(user.id, text, parse_mode="HTML")


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, user: SandboxUser) -> None:
    ok = await bot.send_message(
        user.id,
        "ok",
        reply_markup=keyboard([InlineKeyboardButton(text="数据", callback_data="数" * 21 + "x")]),
    )
    assert ok.reply_markup is not None
    await bot.send_message(
        user.id, "ok", reply_markup=keyboard([InlineKeyboardButton(text="a", callback_data="a" * 64)])
    )
    for data in ("数据" * 11, "a" * 65):  # 66 and 65 bytes
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(
                user.id, "x", reply_markup=keyboard([InlineKeyboardButton(text="b", callback_data=data)])
            )


async def test_keyboard_shape_rules(bot: Bot, user: SandboxUser) -> None:
    with pytest.raises(TelegramBadRequest, match="Text buttons are not allowed"):
        await bot.send_message(user.id, "x", reply_markup=keyboard([InlineKeyboardButton(text="bare")]))
    row = [InlineKeyboardButton(text=str(i), callback_data=str(i)) for i in range(9)]
    with pytest.raises(TelegramBadRequest, match="BUTTONS_TOO_MUCH"):
        await bot.send_message(user.id, "x", reply_markup=keyboard(row))
    rows = [[InlineKeyboardButton(text="b", callback_data=f"{r}.{c}") for c in range(8)] for r in range(13)]
    with pytest.raises(TelegramBadRequest, match="REPLY_MARKUP_TOO_LONG"):
        await bot.send_message(user.id, "x", reply_markup=keyboard(*rows))
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        await bot.send_message(
            user.id, "x", reply_markup=keyboard([InlineKeyboardButton(text="u", url="notaurl")])
        )


async def test_caption_is_limited_to_1024_characters(bot: Bot, user: SandboxUser) -> None:
    from aiogram.types import BufferedInputFile

    document = BufferedInputFile(b"data", filename="a.txt")
    await bot.send_document(user.id, document, caption="<b>" + "字" * 1024 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(user.id, document, caption="字" * 1025)


async def test_unknown_chat_is_not_found(bot: Bot, sandbox: BotAPISandbox) -> None:
    stranger = sandbox.add_user(2002, "Stranger")  # never wrote to the bot
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(stranger.id, "hello")
