"""Telegram's numeric limits and the validators that enforce them.

Numbers come from the Bot API documentation (see /work/shared/platform-facts.md); error texts are
the ones Telegram answers with, so code under test sees what production would show it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
CALLBACK_ANSWER_SECONDS = 15.0  # a query answered later is "too old"
MAX_MEDIA_GROUP_ITEMS = 10
MAX_INLINE_BUTTONS = 100
MAX_INLINE_ROW_BUTTONS = 8
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 256
MAX_UPDATES_LIMIT = 100
MAX_UPLOAD_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_FILE_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_URL_SCHEMES = frozenset({"http", "https", "tg", "ton"})


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts text and entity offsets in."""
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str) -> None:
    """Message text must show something and fit 4096 characters after entity parsing."""
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")


def check_caption(caption: str) -> None:
    """Captions may be empty but not longer than 1024 characters after entity parsing."""
    if utf16_len(caption) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")


def check_callback_answer_text(text: str | None) -> None:
    """answerCallbackQuery text is 0-200 characters."""
    if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")


def validate_reply_markup(markup: Any, *, inline_only: bool = False) -> None:
    """Reject keyboards Telegram would refuse; the markup is echoed back unchanged if valid."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    elif inline_only:
        raise bad_request("inline keyboard expected")
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
    elif "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise bad_request('field "remove_keyboard" must be true')
    elif "force_reply" in markup:
        if markup["force_reply"] is not True:
            raise bad_request('field "force_reply" must be true')
    else:
        raise bad_request('can\'t find field "inline_keyboard"')


def _rows(rows: Any, name: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{name}" must be an Array of Arrays')
    return rows


def _validate_inline_keyboard(rows: Any) -> None:
    rows = _rows(rows, "inline_keyboard")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for row in rows:
        if len(row) > MAX_INLINE_ROW_BUTTONS:
            raise bad_request("BUTTONS_TOO_MUCH")
        for button in row:
            _validate_inline_button(button)


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse InlineKeyboardButton: expected an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("can't parse InlineKeyboardButton: text must be non-empty")
    actions = [key for key in INLINE_BUTTON_ACTIONS if button.get(key) is not None]
    if not actions:
        raise bad_request(
            "can't parse InlineKeyboardButton: Text buttons are not allowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(f"can't parse InlineKeyboardButton: use exactly one of {', '.join(actions)}")
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions and not is_valid_button_url(button["url"]):
        raise bad_request("BUTTON_URL_INVALID")


def is_valid_button_url(url: Any) -> bool:
    """A button URL needs a scheme Telegram opens and, for http(s), a host."""
    if not isinstance(url, str) or not url:
        return False
    parts = urlsplit(url)
    if parts.scheme.lower() not in _URL_SCHEMES:
        return False
    return parts.scheme.lower() not in {"http", "https"} or bool(parts.netloc)


def _validate_reply_keyboard(rows: Any) -> None:
    rows = _rows(rows, "keyboard")
    if not any(rows):
        raise bad_request("keyboard must be non-empty")
    for row in rows:
        for button in row:
            text = (
                button
                if isinstance(button, str)
                else button.get("text")
                if isinstance(button, dict)
                else None
            )
            if not isinstance(text, str) or not text.strip():
                raise bad_request("can't parse KeyboardButton: text must be non-empty")


def validate_commands(commands: Any) -> list[dict[str, str]]:
    """setMyCommands: 0-100 commands, names 1-32 of [a-z0-9_], descriptions 1-256 characters."""
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND_RE.fullmatch(command.removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if (
            not isinstance(description, str)
            or not 1 <= len(description.strip()) <= MAX_COMMAND_DESCRIPTION_LENGTH
        ):
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command.removeprefix("/"), "description": description})
    return result
