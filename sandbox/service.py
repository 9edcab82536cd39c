"""Bot API methods about the bot itself: identity, updates, webhook, commands, chats."""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request, conflict
from .limits import COMMAND_SCOPES, MAX_UPDATES_LIMIT, validate_commands
from .params import Params
from .payloads import chat_json, resolve_chat
from .state import BotState, SandboxState, Webhook

CommandKey = tuple[str, int | None, int | None, str]
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_ACCEPTED_GIFTS = dict.fromkeys(
    ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"), False
)


def get_me(state: SandboxState, bot: BotState, params: Params) -> dict[str, Any]:
    return bot.bot.me_json()


def always_true(state: SandboxState, bot: BotState, params: Params) -> bool:
    return True


def read_allowed_updates(bot: BotState, params: Params) -> None:
    """allowed_updates sticks until changed; an empty list restores the default set."""
    allowed = params.json_value("allowed_updates", what="allowed updates")
    if allowed is None:
        return
    if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
        raise bad_request("can't parse allowed updates JSON object")
    bot.allowed_updates = frozenset(allowed) or None


async def get_updates(state: SandboxState, bot: BotState, params: Params) -> list[dict[str, Any]]:
    """Long polling: wait up to ``timeout`` seconds; a newer poll ends this one with 409."""
    if bot.webhook is not None:
        raise conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
    offset = params.integer("offset")
    limit = min(
        max(params.integer("limit", default=MAX_UPDATES_LIMIT) or MAX_UPDATES_LIMIT, 1), MAX_UPDATES_LIMIT
    )
    timeout = max(params.integer("timeout", default=0) or 0, 0)
    read_allowed_updates(bot, params)
    bot.pending(offset)  # confirm once; later checks only look at what is left
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.signal.fire()

    def ready() -> list[dict[str, Any]] | None:
        if bot.poll_generation != generation:
            raise conflict(
                "terminated by other getUpdates request; make sure that only one bot instance is running"
            )
        if state.closing or bot.webhook is not None:
            return []
        return bot.pending()[:limit] or None

    updates = (await bot.signal.wait_until(ready, timeout) if timeout else ready()) or []
    if updates:
        bot.delivered_up_to = max(bot.delivered_up_to, updates[-1]["update_id"])
        state.changed.fire()
    return [dict(update) for update in updates]


def set_webhook(state: SandboxState, bot: BotState, params: Params) -> bool:
    url = params.text("url")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET_RE.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    read_allowed_updates(bot, params)
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook = Webhook(url, secret, params.integer("max_connections", default=40) or 40) if url else None
    if state.webhook_listener is not None:
        state.webhook_listener(bot)
    bot.signal.fire()
    return True


def delete_webhook(state: SandboxState, bot: BotState, params: Params) -> bool:
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook = None
    bot.signal.fire()
    return True


def get_webhook_info(state: SandboxState, bot: BotState, params: Params) -> dict[str, Any]:
    hook = bot.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.pending()),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        if bot.allowed_updates is not None:
            info["allowed_updates"] = sorted(bot.allowed_updates)
    return info


def command_key(state: SandboxState, bot: BotState, scope: Any, language_code: str | None) -> CommandKey:
    """Commands are kept per exact scope (with its chat/user) and language, as Telegram keeps them."""
    scope = scope or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    chat_id = user_id = None
    if kind in {"chat", "chat_administrators", "chat_member"}:
        try:
            chat_id = int(scope.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        resolve_chat(state, bot, chat_id, sending=False)
    if kind == "chat_member":
        user_id = scope.get("user_id")
        if not isinstance(user_id, int) or user_id not in state.users:
            raise bad_request("user not found")
    language = language_code or ""
    if language and not _LANGUAGE_RE.fullmatch(language):
        raise bad_request("invalid language code specified")
    return kind, chat_id, user_id, language


def _key(state: SandboxState, bot: BotState, params: Params) -> CommandKey:
    return command_key(
        state, bot, params.json_value("scope", what="BotCommandScope"), params.text("language_code")
    )


def set_my_commands(state: SandboxState, bot: BotState, params: Params) -> bool:
    commands = validate_commands(params.json_value("commands", what="commands"))
    key = _key(state, bot, params)
    if commands:
        bot.commands[key] = commands
    else:
        bot.commands.pop(key, None)
    return True


def get_my_commands(state: SandboxState, bot: BotState, params: Params) -> list[dict[str, str]]:
    return [dict(command) for command in bot.commands.get(_key(state, bot, params), [])]


def delete_my_commands(state: SandboxState, bot: BotState, params: Params) -> bool:
    bot.commands.pop(_key(state, bot, params), None)
    return True


def get_chat(state: SandboxState, bot: BotState, params: Params) -> dict[str, Any]:
    chat_id = params.chat_id()
    resolve_chat(state, bot, chat_id, sending=False)
    return {
        **chat_json(state, chat_id),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict(_ACCEPTED_GIFTS),
    }


METHODS = {
    "getme": get_me,
    "getupdates": get_updates,
    "logout": always_true,
    "close": always_true,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "getchat": get_chat,
}
