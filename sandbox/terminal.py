"""One user's chat with a bot in the sandbox, as a terminal drives it: what the user does, and the bot's
messages in the order they arrive, with the buttons the user may press next.

A program reads `news()` whenever the sandbox reports activity (`BotAPISandbox.wait_for_news`) and shows
it; so every message reaches the screen when it is sent, whatever caused it (a reply, a push, a slow
report), instead of only what arrives within some wait after the user typed. Buttons are numbered across
the latest message that has any, inline or reply keyboard, in the order the user sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.models import CallbackAnswer, Mark, SandboxUser, SentMessage
from sandbox.sandbox import BotAPISandbox


class NoSuchButton(LookupError):
    """`button` is not on the latest message with buttons (`count` of them; 0: none)."""

    def __init__(self, button: int | str, count: int) -> None:
        super().__init__(f"no button {button!r} ({count} shown)")
        self.button, self.count = button, count


class LinkButton(LookupError):
    """The pressed button opens a link (in `target`) rather than telling the bot."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class NoPhoneNumber(LookupError):
    """A request_contact button was pressed by a user the sandbox knows no phone number of."""


def reply_buttons(message: SentMessage) -> list[list[dict[str, Any]]]:
    """The reply keyboard a message brings, as rows of KeyboardButton objects."""
    rows = (message.reply_markup or {}).get("keyboard") or []
    return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]


def button_rows(message: SentMessage) -> list[list[str]]:
    """Labels of the message's buttons, inline or reply keyboard, row by row."""
    if message.buttons:
        return [[text for text, _ in row] for row in message.buttons]
    return [[b["text"] for b in row] for row in reply_buttons(message)]


@dataclass
class TerminalChat:
    sandbox: BotAPISandbox
    token: str
    user: SandboxUser
    here: tuple[float, float] = (0.0, 0.0)  # what a request_location button shares
    seen: int = 0  # activity position: what the bot did after it is news
    _buttons: SentMessage | None = field(default=None, init=False)
    _queries: set[str] = field(default_factory=set, init=False)
    _answers_seen: int = field(default=0, init=False)

    def news(self) -> list[SentMessage]:
        """The bot's messages sent or edited in this chat since the last call, in order, as they are now."""
        end = self.sandbox.mark()
        found = self.sandbox.replies(self.user, Mark(self.seen), token=self.token)
        self.seen = end.seq
        for message in found:
            if button_rows(message):
                self._buttons = message
            elif self._buttons is not None and message.message_id == self._buttons.message_id:
                self._buttons = None  # its buttons were taken away by an edit
            elif (message.reply_markup or {}).get("remove_keyboard") and self._is_reply_keyboard():
                self._buttons = None
        return found

    def answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this chat's button presses since the last call (the toasts)."""
        answers = self.sandbox.callback_answers
        fresh = [a for a in answers[self._answers_seen :] if a.query_id in self._queries]
        self._answers_seen = len(answers)
        return fresh

    def send_text(self, text: str) -> dict[str, Any]:
        return self.sandbox.send_text(self.token, self.user, text)

    def has_news(self) -> bool:
        return bool(self.sandbox.replies(self.user, Mark(self.seen), token=self.token))

    def press(self, button: int | str) -> dict[str, Any]:
        """Press a button of the latest message with buttons: by number (from 1), or by its label (or a part
        of it that only one label has); raises NoSuchButton."""
        message = self._buttons
        labels = [label for row in button_rows(message) for label in row] if message else []
        number = button if isinstance(button, int) else _by_label(labels, button)
        if message is None or not 1 <= number <= len(labels):
            raise NoSuchButton(button, len(labels))
        if message.buttons:
            pressed = [b for row in (message.reply_markup or {})["inline_keyboard"] for b in row][number - 1]
            if "callback_data" not in pressed:  # a link (or another kind the terminal cannot follow)
                raise LinkButton(pressed.get("url") or pressed["text"])
            update = self.sandbox.press(self.token, self.user, message, number - 1)
            self._queries.add(update["callback_query"]["id"])
            return update
        if (message.reply_markup or {}).get("one_time_keyboard"):
            self._buttons = None
        key = [key for row in reply_buttons(message) for key in row][number - 1]
        if key.get("request_location"):
            return self.send_location(*self.here)
        if key.get("request_contact"):
            if not self.user.phone:
                raise NoPhoneNumber(self.user.id)
            return self.sandbox.send_contact(
                self.token, self.user, self.user.phone, contact_user_id=self.user.id
            )
        return self.send_text(key["text"])

    def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return self.sandbox.send_location(self.token, self.user, latitude, longitude)

    def send_photo(self, data: bytes, caption: str | None = None) -> dict[str, Any]:
        return self.sandbox.send_photo(self.token, self.user, data, caption)

    def send_document(self, data: bytes, filename: str, caption: str | None = None) -> dict[str, Any]:
        return self.sandbox.send_document(self.token, self.user, data, filename, caption=caption)

    def _is_reply_keyboard(self) -> bool:
        return self._buttons is not None and not self._buttons.buttons


def _by_label(labels: list[str], wanted: str) -> int:
    """The number of the button with this label, or the only one containing it; 0 when none or several."""
    if wanted in labels:
        return labels.index(wanted) + 1
    matches = [
        number for number, label in enumerate(labels, start=1) if wanted.casefold() in label.casefold()
    ]
    return matches[0] if len(matches) == 1 else 0
