"""Bot API methods for text messages, edits, deletions, chat actions and callback answers."""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import bad_request
from .formatting import FormattedText, format_text
from .limits import (
    CALLBACK_ANSWER_SECONDS,
    CHAT_ACTIONS,
    check_callback_answer_text,
    check_caption,
    check_text,
    validate_reply_markup,
)
from .models import CallbackAnswer, SentMessage
from .params import Params
from .payloads import inline_markup, message_json, resolve_chat
from .state import BotState, SandboxState
from .threads import read_thread

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_OPTION_KEYS = ("disable_notification", "protect_content", "message_effect_id", "parse_mode")


def read_markup(params: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Decode and validate ``reply_markup``; None values are dropped as Telegram ignores them."""
    markup = params.json_value("reply_markup", what="reply keyboard markup")
    if markup is None:
        return None
    validate_reply_markup(markup, inline_only=inline_only)
    return _without_none(markup)


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def read_reply(bot: BotState, chat_id: int, params: Params) -> int | None:
    """Resolve reply_parameters (or the older reply_to_message_id) to a message in this chat."""
    reply = params.json_value("reply_parameters", what="reply parameters")
    if isinstance(reply, dict):
        message_id, allow = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
    else:
        message_id, allow = params.integer("reply_to_message_id"), params.flag("allow_sending_without_reply")
    if message_id is None:
        return None
    log = bot.chat(chat_id)
    if message_id in log.bot_messages or message_id in log.incoming:
        return int(message_id)
    if allow:
        return None
    raise bad_request("message to be replied not found")


def read_options(params: Params) -> dict[str, Any]:
    """Delivery options kept on the message so tests can assert them."""
    options = {key: params.values[key] for key in _OPTION_KEYS if params.has(key)}
    for key in ("disable_notification", "protect_content"):
        if key in options:
            options[key] = params.flag(key)
    preview = params.json_value("link_preview_options", what="link preview options")
    if preview is not None:
        options["link_preview_options"] = preview
    return options


def format_param(state: SandboxState, params: Params, name: str, entities_name: str) -> FormattedText | None:
    raw = params.text(name)
    if raw is None:
        return None
    return format_text(
        raw, params.text("parse_mode"), params.json_value(entities_name), strict_html=state.strict_html
    )


def deliver(state: SandboxState, bot: BotState, message: SentMessage) -> dict[str, Any]:
    """Store a new bot message, log it for waiters and return its ``Message`` JSON."""
    bot.chat(message.chat_id).bot_messages[message.message_id] = message
    state.record(message, "send")
    return message_json(state, bot, message)


def send_message(state: SandboxState, bot: BotState, params: Params) -> Any:
    chat_id = params.chat_id()
    is_group = resolve_chat(state, bot, chat_id)
    formatted = format_param(state, params, "text", "entities")
    if formatted is None:
        raise bad_request("message text is empty")
    check_text(formatted.text)
    markup = read_markup(params)
    reply_to = read_reply(bot, chat_id, params)
    thread = read_thread(state, bot, chat_id, params)
    state.flood.check(bot.bot.token, chat_id, is_group=is_group)
    message = SentMessage(
        token=bot.bot.token,
        chat_id=chat_id,
        message_id=bot.chat(chat_id).allocate_id(),
        date=state.now(),
        kind="text",
        text=formatted.text,
        html=formatted.raw,
        entities=formatted.entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        message_thread_id=thread,
        options=read_options(params),
    )
    return deliver(state, bot, message)


def editable(state: SandboxState, bot: BotState, params: Params) -> tuple[SentMessage, bool]:
    """The bot's own message named by chat_id + message_id, if Telegram would let it be edited."""
    if params.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the sandbox")
    chat_id = params.chat_id()
    is_group = resolve_chat(state, bot, chat_id)
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    log = bot.chat(chat_id)
    if message_id in log.incoming:
        raise bad_request("message can't be edited")
    message = log.bot_messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if message.reply_markup is not None and inline_markup(message.reply_markup) is None:
        raise bad_request("message can't be edited")  # only messages without a reply keyboard can be
    return message, is_group


def apply_edit(
    state: SandboxState, bot: BotState, current: SentMessage, is_group: bool, **changes: Any
) -> Any:
    """Replace a message with its edited version unless nothing changed (Telegram's 400)."""
    changes["reply_markup"] = inline_markup(changes.get("reply_markup"))
    content = {key: value for key, value in changes.items() if key not in {"html", "reply_markup"}}
    if all(getattr(current, key) == value for key, value in content.items()) and (
        inline_markup(current.reply_markup) == changes["reply_markup"]
    ):
        raise bad_request(NOT_MODIFIED)
    state.flood.check(bot.bot.token, current.chat_id, is_group=is_group)
    previous = dataclasses.replace(current, history=())
    edited = dataclasses.replace(
        current, **changes, edit_date=state.now(), history=(*current.history, previous)
    )
    bot.chat(current.chat_id).bot_messages[current.message_id] = edited
    state.record(edited, "edit")
    return message_json(state, bot, edited)


def edit_message_text(state: SandboxState, bot: BotState, params: Params) -> Any:
    current, is_group = editable(state, bot, params)
    if current.kind != "text":
        raise bad_request("there is no text in the message to edit")
    formatted = format_param(state, params, "text", "entities")
    if formatted is None:
        raise bad_request("message text is empty")
    check_text(formatted.text)
    return apply_edit(
        state,
        bot,
        current,
        is_group,
        text=formatted.text,
        html=formatted.raw,
        entities=formatted.entities,
        reply_markup=read_markup(params, inline_only=True),
    )


def edit_message_caption(state: SandboxState, bot: BotState, params: Params) -> Any:
    current, is_group = editable(state, bot, params)
    if current.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    formatted = format_param(state, params, "caption", "caption_entities")
    text = formatted.text if formatted else None
    if text is not None:
        check_caption(text)
    return apply_edit(
        state,
        bot,
        current,
        is_group,
        caption=text or None,
        html=formatted.raw if formatted else None,
        entities=formatted.entities if formatted else (),
        reply_markup=read_markup(params, inline_only=True),
    )


def edit_message_reply_markup(state: SandboxState, bot: BotState, params: Params) -> Any:
    current, is_group = editable(state, bot, params)
    return apply_edit(state, bot, current, is_group, reply_markup=read_markup(params, inline_only=True))


def delete_message(state: SandboxState, bot: BotState, params: Params) -> bool:
    chat_id = params.chat_id()
    resolve_chat(state, bot, chat_id, sending=False)
    message_id = params.integer("message_id", required=True)
    log = bot.chat(chat_id)
    if message_id in log.bot_messages:
        message = log.bot_messages.pop(message_id)
        log.deleted.append(message)
        state.record(message, "delete")
    elif log.incoming.pop(message_id, None) is None:
        raise bad_request("message to delete not found")
    return True


def send_chat_action(state: SandboxState, bot: BotState, params: Params) -> bool:
    resolve_chat(state, bot, params.chat_id())
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def answer_callback_query(state: SandboxState, bot: BotState, params: Params) -> bool:
    """Once per query, within CALLBACK_ANSWER_SECONDS of the press (Telegram's "about 15 s")."""
    query_id = params.text("callback_query_id")
    pressed = bot.open_callbacks.get(query_id) if query_id is not None else None
    after = state.clock() - pressed if pressed is not None else None
    if query_id is None or after is None or after > CALLBACK_ANSWER_SECONDS:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.text("text")
    check_callback_answer_text(text)
    del bot.open_callbacks[query_id]
    state.callback_answers.append(
        CallbackAnswer(
            query_id,
            text,
            params.flag("show_alert"),
            params.text("url"),
            params.integer("cache_time"),
            after=after,
        )
    )
    state.changed.fire()
    return True


METHODS = {
    "sendmessage": send_message,
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "sendchataction": send_chat_action,
    "answercallbackquery": answer_callback_query,
}
