"""The demo's screen: the bot's messages drawn as boxes with numbered buttons, their photos and documents
saved to a folder (the path printed), and the prompt kept on the last line while messages arrive."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox import CallbackAnswer, SentMessage
from sandbox.terminal import button_rows

Gettext = Callable[[str], str]
PROMPT = "> "
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}


class Screen:
    """Prints to stdout; `live`: a person at a terminal, whose half-typed line is redrawn under new output."""

    def __init__(self, gettext: Gettext, files: Path, tz: ZoneInfo, *, live: bool) -> None:
        self._ = gettext
        self.files, self.tz = files, tz
        self.live = live
        self.prompting = False  # input() is waiting: output must not land after the prompt

    def lines(self, *lines: str) -> None:
        text = "\n".join(lines)
        if self.live and self.prompting:
            sys.stdout.write(f"\r\033[K{text}\n{PROMPT}{_typed()}")
            sys.stdout.flush()
        else:
            print(text, flush=True)

    def message(self, message: SentMessage, folder: str) -> None:
        """One bot message as a box; a photo or document is saved under files/<folder>/ first."""
        _ = self._
        stamp = dt.datetime.fromtimestamp(message.edit_date or message.date, self.tz).strftime("%H:%M")
        heading = f"┌─ PortCRM · {stamp}" + (" · " + _("edited") if message.edited else "")
        body = message.text or message.caption or ""
        lines = [heading, *(f"│ {line}" for line in body.splitlines())]
        if message.file is not None and message.data is not None:
            path = self._save(message, folder)
            kind = _("Photo") if message.kind == "photo" else _("File")
            lines.append("│ 📎 " + _("{kind} saved to {path}").format(kind=kind, path=path))
        rows = button_rows(message)
        keyboard = "⌨ " if rows and not message.buttons else ""
        number = 0
        for row in rows:
            labels = []
            for label in row:
                number += 1
                labels.append(f"[#{number}] {label}")
            lines.append("│ " + keyboard + "  ".join(labels))
        lines.append("└─")
        self.lines(*lines)

    def answer(self, answer: CallbackAnswer) -> None:
        if answer.text:
            self.lines(f"  ⓘ {answer.text}")

    def _save(self, message: SentMessage, folder: str) -> Path:
        """Into files/<folder>/ under the file's own name; an existing file of that name is kept: name (2)."""
        directory = self.files / folder
        directory.mkdir(parents=True, exist_ok=True)
        name = Path(message.filename or f"{message.kind}-{message.message_id}").name
        stem, suffix = Path(name).stem, Path(name).suffix or _EXTENSIONS.get(message.mime_type or "", "")
        path, copy = directory / f"{stem}{suffix}", 1
        while path.exists():
            copy += 1
            path = directory / f"{stem} ({copy}){suffix}"
        assert message.data is not None
        path.write_bytes(message.data)
        return path.resolve()


def _typed() -> str:
    """What the person has typed so far at the prompt (readline keeps it), to redraw it."""
    try:
        import readline
    except ImportError:  # no readline on this platform: the half-typed line is not redrawn
        return ""
    return readline.get_line_buffer()
