"""Chatting with a bot in the sandbox from a terminal: type to send, `#N` to press the N-th button."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.models import SandboxUser, SentMessage
from sandbox.sandbox import BotAPISandbox

Printer = Callable[[str], None]


@dataclass
class TerminalChat:
    sandbox: BotAPISandbox
    token: str
    user: SandboxUser
    out: Printer = print
    quiet: float = 0.3
    _last_with_buttons: SentMessage | None = field(default=None, init=False)

    async def send(self, line: str) -> list[SentMessage]:
        """Send one typed line (or press a button for `#N`) and print what the bot answers."""
        mark = self.sandbox.mark()
        answered = len(self.sandbox.callback_answers)
        if line.startswith("#") and line[1:].isdigit():
            if self._last_with_buttons is None:
                raise LookupError("no buttons to press")
            self.sandbox.press(self.token, self.user, self._last_with_buttons, int(line[1:]) - 1)
        else:
            self.sandbox.send_text(self.token, self.user, line)
        await self.sandbox.wait_idle(quiet=self.quiet, timeout=15)
        replies = self.sandbox.replies(self.user, mark, token=self.token)
        for message in replies:
            self.show(message)
        for answer in self.sandbox.callback_answers[answered:]:
            if answer.text:
                self.out(f"  ⓘ {answer.text}")
        return replies

    def show(self, message: SentMessage) -> None:
        label = " (edited)" if message.edited else ""
        self.out(f"┌─ bot{label}")
        for line in (message.text or message.caption or f"[{message.kind}: {message.filename}]").splitlines():
            self.out(f"│ {line}")
        flat = [text for row in message.buttons for text, _ in row]
        if flat:
            self.out("│ " + "  ".join(f"[#{i}] {text}" for i, text in enumerate(flat, start=1)))
            self._last_with_buttons = message
        self.out("└─")

    async def prompt(self, text: str) -> str | None:
        """Read a line without blocking the event loop; None at end of input."""
        try:
            return await asyncio.to_thread(input, text)
        except EOFError:
            return None
