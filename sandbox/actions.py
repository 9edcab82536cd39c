"""What users do in the sandbox, as methods of :class:`~sandbox.sandbox.BotAPISandbox`.

Kept apart from the sandbox's lifecycle and query methods; every action returns the update it
queued, which doubles as a marker for ``wait_for_reply``.
"""

from __future__ import annotations

from typing import Any

from .inject import ButtonRef, Injector, find_button
from .models import SandboxGroup, SandboxUser, SentMessage
from .state import BotState, SandboxState


class UserActions:
    """Mixin: users sending messages, contacts and files, pressing buttons, blocking the bot."""

    state: SandboxState
    _injector: Injector

    def _bot(self, token: str) -> BotState:
        return self._injector.bot(token)

    def send_text(
        self,
        token: str,
        user: SandboxUser,
        text: str,
        *,
        chat: SandboxGroup | None = None,
        reply_to: int | None = None,
        thread: int | None = None,
    ) -> dict[str, Any]:
        """The user sends text (``/cmd`` gets a bot_command entity); returns the update. `thread`: the
        forum topic of `chat` it is posted in."""
        return self._injector.text(token, user, text, chat=chat, reply_to=reply_to, thread=thread)

    def send_contact(
        self,
        token: str,
        user: SandboxUser,
        phone_number: str,
        *,
        contact_user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        forwarded_from: SandboxUser | None = None,
    ) -> dict[str, Any]:
        """The user shares a contact; ``contact_user_id=user.id`` is their own number."""
        return self._injector.contact(
            token,
            user,
            phone_number,
            contact_user_id=contact_user_id,
            first_name=first_name,
            last_name=last_name,
            forwarded_from=forwarded_from,
        )

    def send_location(
        self,
        token: str,
        user: SandboxUser,
        latitude: float,
        longitude: float,
        *,
        chat: SandboxGroup | None = None,
    ) -> dict[str, Any]:
        """The user shares a location (a reply keyboard's request_location button, or the attachment menu)."""
        return self._injector.location(token, user, latitude, longitude, chat=chat)

    def send_photo(
        self,
        token: str,
        user: SandboxUser,
        data: bytes,
        caption: str | None = None,
        *,
        chat: SandboxGroup | None = None,
        thread: int | None = None,
    ) -> dict[str, Any]:
        return self._injector.photo(token, user, data, caption, chat=chat, thread=thread)

    def send_document(
        self,
        token: str,
        user: SandboxUser,
        data: bytes,
        filename: str,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        chat: SandboxGroup | None = None,
        thread: int | None = None,
    ) -> dict[str, Any]:
        return self._injector.document(
            token, user, data, filename, mime_type, caption, chat=chat, thread=thread
        )

    def press(
        self, token: str, user: SandboxUser, message: SentMessage | int, button: ButtonRef
    ) -> dict[str, Any]:
        """Press an inline button by label, ``(row, col)`` or flat index; returns the callback update."""
        current = self._injector.current(self._bot(token), user, message, None)
        label, data = find_button(current, button)
        if data is None:
            raise LookupError(f"button {label!r} has no callback_data (a URL or other kind of button)")
        return self._injector.callback(token, user, current, data)

    def press_data(
        self, token: str, user: SandboxUser, message: SentMessage | int, data: str
    ) -> dict[str, Any]:
        """Send any callback data for a message, as a modified client could."""
        return self._injector.callback(token, user, message, data)

    def open_chat(self, token: str, user: SandboxUser) -> None:
        """The user started the bot before (in an earlier session, say): the bot may write to them first."""
        self.state.users.setdefault(user.id, user)
        self._bot(token).started.add(user.id)

    def block(self, user: SandboxUser, token: str | None = None, *, notify: bool = True) -> None:
        """The user blocks the bot: sends fail with 403; bots they started get ``my_chat_member``."""
        for bot in self._bots(token):
            if user.id not in bot.blocked:
                bot.blocked.add(user.id)
                if notify and user.id in bot.started:
                    self._injector.member_status(bot.bot.token, user, blocked=True)

    def unblock(self, user: SandboxUser, token: str | None = None, *, notify: bool = True) -> None:
        for bot in self._bots(token):
            if user.id in bot.blocked:
                bot.blocked.discard(user.id)
                if notify and user.id in bot.started:
                    self._injector.member_status(bot.bot.token, user, blocked=False)

    def _bots(self, token: str | None) -> list[BotState]:
        return list(self.state.bots.values()) if token is None else [self._bot(token)]
