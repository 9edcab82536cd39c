"""A terminal's chat: every message as it arrives, buttons pressed by number or label, reply keyboards whose
buttons share a location or send their text, locations, photos and documents sent as updates."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from sandbox import BotAPISandbox, SandboxBot, SandboxUser, tiny_png
from sandbox.terminal import LinkButton, NoPhoneNumber, NoSuchButton, TerminalChat

from .conftest import TOKEN

INLINE = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="导出台账（.xlsx）", callback_data="export"),
            InlineKeyboardButton(text="官网", url="https://example.com"),
        ]
    ]
)
REPLY = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text="📍 发送我的位置", request_location=True)], [KeyboardButton(text="跳过")]]
)
PORT = (29.9386, 121.8453)


@pytest.fixture
def chat(sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser) -> TerminalChat:
    return TerminalChat(sandbox, TOKEN, user, here=PORT, seen=sandbox.mark().seq)


async def test_news_is_every_message_since_the_last_read_pushes_included(
    bot: Bot, sandbox: BotAPISandbox, chat: TerminalChat, user: SandboxUser
) -> None:
    mark = sandbox.mark()
    await bot.send_message(user.id, "货物动态：已卸船")  # a push nobody asked for
    assert await sandbox.wait_for_news(mark, timeout=5)
    first = await bot.send_message(user.id, "第二条")
    assert [m.text for m in chat.news()] == ["货物动态：已卸船", "第二条"]
    assert chat.news() == []
    await bot.edit_message_text("第二条（已更新）", chat_id=user.id, message_id=first.message_id)
    assert [(m.text, m.edited) for m in chat.news()] == [("第二条（已更新）", True)]


async def test_buttons_are_pressed_by_number_or_label_and_a_missing_one_is_refused(
    bot: Bot, sandbox: BotAPISandbox, chat: TerminalChat, user: SandboxUser
) -> None:
    with pytest.raises(NoSuchButton) as none_yet:
        chat.press(1)
    assert none_yet.value.count == 0
    await bot.send_message(user.id, "逾期应收账款", reply_markup=INLINE)
    chat.news()
    by_label = chat.press("导出")
    assert by_label["callback_query"]["data"] == "export"
    with pytest.raises(LinkButton) as link:
        chat.press(2)
    assert link.value.target == "https://example.com"
    with pytest.raises(NoSuchButton) as too_far:
        chat.press(3)
    assert too_far.value.count == 2
    with pytest.raises(NoSuchButton):
        chat.press("不存在")
    pressed = chat._buttons
    assert pressed is not None
    await bot.edit_message_text("已导出", chat_id=user.id, message_id=pressed.message_id)  # buttons gone
    chat.news()
    with pytest.raises(NoSuchButton) as gone:
        chat.press(1)
    assert gone.value.count == 0


async def test_a_reply_keyboard_shares_the_location_or_sends_its_text_until_removed(
    bot: Bot, sandbox: BotAPISandbox, chat: TerminalChat, user: SandboxUser
) -> None:
    await bot.send_message(user.id, "签到？", reply_markup=REPLY)
    chat.news()
    shared = chat.press(1)
    assert shared["message"]["location"] == {"latitude": PORT[0], "longitude": PORT[1]}
    skipped = chat.press("跳过")
    assert skipped["message"]["text"] == "跳过"
    await bot.send_message(user.id, "未记录位置。", reply_markup=ReplyKeyboardRemove())
    chat.news()
    with pytest.raises(NoSuchButton):
        chat.press(1)


async def test_locations_photos_and_documents_reach_the_bot(
    bot: Bot, sandbox: BotAPISandbox, chat: TerminalChat
) -> None:
    location = chat.send_location(30.0, 122.1)
    photo = chat.send_photo(tiny_png(32, 24), "箱体破损")
    document = chat.send_document(b"reference,event_type\n", "events.csv")
    updates = {u.update_id: u.message for u in await bot.get_updates(offset=-3)}
    assert updates[location["update_id"]].location.latitude == 30.0
    assert updates[photo["update_id"]].photo[-1].width == 32
    assert updates[photo["update_id"]].caption == "箱体破损"
    assert updates[document["update_id"]].document.file_name == "events.csv"
    with pytest.raises(ValueError, match="no such place"):
        chat.send_location(91, 0)


async def test_a_contact_button_needs_a_known_phone_number(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot
) -> None:
    person = sandbox.add_user(2002, "王磊")
    sandbox.open_chat(TOKEN, person)  # started the bot in an earlier session: it may write first
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="分享手机号", request_contact=True)]])
    await bot.send_message(person.id, "请分享手机号", reply_markup=markup)
    chat = TerminalChat(sandbox, TOKEN, person)
    chat.news()
    with pytest.raises(NoPhoneNumber):
        chat.press(1)
