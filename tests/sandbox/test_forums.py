"""Forum supergroups: topics, posting into them, members' rights and copies, with the real aiogram client."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import ChatMemberAdministrator, ChatMemberMember, ChatMemberOwner

from sandbox import BotAPISandbox, SandboxBot, SandboxGroup, SandboxUser, tiny_png

FORUM = -1001234


@pytest.fixture
def forum(sandbox: BotAPISandbox, account: SandboxBot) -> SandboxGroup:
    group = sandbox.add_group(FORUM, "投诉处理台", "supergroup", is_forum=True)
    sandbox.make_admin(group, account, can_manage_topics=True)
    return group


async def test_each_create_makes_a_new_topic_and_the_sandbox_keeps_them_all(
    bot: Bot, forum: SandboxGroup, sandbox: BotAPISandbox
) -> None:
    first = await bot.create_forum_topic(FORUM, "CP-2026-000001 · 华海货代")
    second = await bot.create_forum_topic(FORUM, "CP-2026-000001 · 华海货代")
    assert first.message_thread_id != second.message_thread_id, "not idempotent, like Telegram"
    assert [t.name for t in sandbox.created_topics] == ["CP-2026-000001 · 华海货代"] * 2
    assert [t.message_thread_id for t in sandbox.topics(forum)] == [
        first.message_thread_id,
        second.message_thread_id,
    ]


async def test_topics_are_renamed_closed_and_reopened_and_refuse_what_changes_nothing(
    bot: Bot, forum: SandboxGroup, sandbox: BotAPISandbox
) -> None:
    topic = await bot.create_forum_topic(FORUM, "old")
    thread = topic.message_thread_id
    assert await bot.edit_forum_topic(FORUM, thread, name="new")
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(FORUM, thread, name="new")
    with pytest.raises(TelegramBadRequest, match="TOPIC_TITLE_INVALID"):
        await bot.edit_forum_topic(FORUM, thread, name="x" * 129)
    assert await bot.close_forum_topic(FORUM, thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(FORUM, thread)
    [current] = sandbox.topics(forum)
    assert (current.name, current.closed, current.history) == ("new", True, ("old",))
    assert await bot.reopen_forum_topic(FORUM, thread)
    assert not sandbox.topics(forum)[0].closed


async def test_topics_need_a_forum_and_the_right_to_manage_them(
    bot: Bot, account: SandboxBot, sandbox: BotAPISandbox
) -> None:
    plain = sandbox.add_group(-1005, "plain", "supergroup")
    sandbox.make_admin(plain, account, can_manage_topics=True)
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await bot.create_forum_topic(plain.id, "t")
    forum = sandbox.add_group(-1006, "forum", "supergroup", is_forum=True)
    with pytest.raises(TelegramBadRequest, match="not enough rights"):
        await bot.create_forum_topic(forum.id, "t")
    sandbox.make_admin(forum, account, can_manage_topics=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights"):
        await bot.create_forum_topic(forum.id, "t")
    with pytest.raises(ValueError, match="supergroup"):
        sandbox.add_group(-1007, "x", "group", is_forum=True)
    assert sandbox.created_topics == []


async def test_messages_go_into_a_topic_and_users_post_into_it(
    bot: Bot, forum: SandboxGroup, account: SandboxBot, sandbox: BotAPISandbox
) -> None:
    thread = (await bot.create_forum_topic(FORUM, "t")).message_thread_id
    sent = await bot.send_message(FORUM, "<b>card</b>", parse_mode="HTML", message_thread_id=thread)
    assert (sent.message_thread_id, sent.is_topic_message) == (thread, True)
    photo = await bot.send_photo(FORUM, "https://example.com/a.png", message_thread_id=thread)
    assert photo.message_thread_id == thread
    assert sandbox.messages(forum)[0].message_thread_id == thread
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=thread + 100)

    staff = sandbox.add_user(7, "张三")
    update = sandbox.send_text(account.token, staff, "hello", chat=forum, thread=thread)
    message = update["message"]
    assert (message["message_thread_id"], message["is_topic_message"]) == (thread, True)
    assert message["reply_to_message"]["forum_topic_created"]["name"] == "t"
    reply = sandbox.send_photo(account.token, staff, tiny_png(), chat=forum, thread=thread)
    assert reply["message"]["message_thread_id"] == thread


async def test_a_closed_topic_takes_messages_only_from_a_bot_that_manages_topics(
    bot: Bot, forum: SandboxGroup, account: SandboxBot, sandbox: BotAPISandbox
) -> None:
    thread = (await bot.create_forum_topic(FORUM, "t")).message_thread_id
    await bot.close_forum_topic(FORUM, thread)
    await bot.send_message(FORUM, "still here", message_thread_id=thread)
    sandbox.make_admin(forum, account, can_manage_topics=False)
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(FORUM, "refused", message_thread_id=thread)


async def test_copies_of_texts_photos_and_documents_land_in_a_topic_with_a_new_caption(
    bot: Bot, forum: SandboxGroup, user: SandboxUser, account: SandboxBot, sandbox: BotAPISandbox
) -> None:
    thread = (await bot.create_forum_topic(FORUM, "t")).message_thread_id
    photo = sandbox.send_photo(account.token, user, tiny_png(3, 2), "看这里")
    document = sandbox.send_document(account.token, user, b"%PDF", "a.pdf", "application/pdf")
    text = sandbox.send_text(account.token, user, "纯文字")
    for update in (photo, document, text):
        await bot.copy_message(
            FORUM,
            user.id,
            update["message"]["message_id"],
            message_thread_id=thread,
            **({} if update is text else {"caption": "<b>王芳</b>", "parse_mode": "HTML"}),
        )
    copied = sandbox.messages(forum)
    assert [(m.kind, m.message_thread_id) for m in copied] == [
        ("photo", thread),
        ("document", thread),
        ("text", thread),
    ]
    assert copied[0].caption == "王芳"
    assert copied[0].file is not None
    assert copied[0].file.width == 3
    assert copied[1].filename == "a.pdf"
    assert copied[2].text == "纯文字"
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(FORUM, user.id, 999)


async def test_chat_members_and_administrators_report_their_rights(
    bot: Bot, forum: SandboxGroup, account: SandboxBot, sandbox: BotAPISandbox
) -> None:
    owner, plain = sandbox.add_user(11, "Owner"), sandbox.add_user(12, "Plain")
    sandbox.make_admin(forum, owner, creator=True)
    me = await bot.get_chat_member(FORUM, account.id)
    assert isinstance(me, ChatMemberAdministrator)
    assert me.can_manage_topics
    assert isinstance(await bot.get_chat_member(FORUM, owner.id), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(FORUM, plain.id), ChatMemberMember)
    admins = await bot.get_chat_administrators(FORUM)
    assert {a.user.id for a in admins} == {account.id, owner.id}
    chat = await bot.get_chat(FORUM)
    assert chat.is_forum


async def test_topic_actions_count_against_the_group_limit(
    bot: Bot, forum: SandboxGroup, sandbox: BotAPISandbox
) -> None:
    sandbox.flood.enabled = True
    thread = (await bot.create_forum_topic(FORUM, "t0")).message_thread_id
    for n in range(1, 20):
        await bot.edit_forum_topic(FORUM, thread, name=f"t{n}")
    with pytest.raises(TelegramRetryAfter):
        await bot.create_forum_topic(FORUM, "one too many")
    assert len(sandbox.created_topics) == 1
