"""What must hold for every reply the fuzzer provoked: checked over everything the sandbox recorded.

Each check returns a list of findings (empty when it holds), so one run reports every kind of failure.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from bot.ui.keyboards.language import LANGUAGE_NAMES
from sandbox import BotAPISandbox, SentMessage
from tests.fuzz.world import Actor, Company, World

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{4,}")
_WORDS = re.compile(r"[A-Za-z]+(?:['_][A-Za-z]+)*")  # a column name (legal_action_since) is one word
_PLACEHOLDER = re.compile(r"\{[^}]*\}|<[^>]*>")


class ErrorLog(logging.Handler):
    """Collects every record at ERROR or above while installed: the error handler logs each incident so."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Failed to fetch updates"):
            return  # a long poll timing out on a loaded machine: aiogram polls again, nothing is lost
        self.records.append(record)

    def findings(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else f"{r.name}: {r.getMessage()}"
            for r in self.records
        ]


def shingles(text: str) -> set[str]:
    """Runs of 4 Chinese characters and of 3 English words: the fingerprint of a language in a text."""
    found = {run[i : i + 4] for run in _CJK_RUN.findall(text) for i in range(len(run) - 3)}
    for chunk in _PLACEHOLDER.split(text):
        words = [w.lower() for w in _WORDS.findall(chunk)]
        found |= {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    return found


@cache
def _catalog_texts(locale: str) -> tuple[str, ...]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    texts: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts += [s for s in strings if s] or list(ids)
    return tuple(texts)


@cache
def foreign_shingles(locale: str) -> frozenset[str]:
    """Fingerprints of the other locales' catalogs that this locale's catalog never contains."""
    own = set().union(*(shingles(t) for t in _catalog_texts(locale)))
    others = set().union(
        *(shingles(t) for other in ("en", "zh_CN", "zh_TW") if other != locale for t in _catalog_texts(other))
    )
    return frozenset(others - own)


def language_findings(locale: str, seen: Seen) -> list[str]:
    """A reply in another language than the reader's: another catalog's fragment, or no Chinese for zh."""
    text = seen.text
    if text.removeprefix("✓ ") in LANGUAGE_NAMES.values():
        return []  # the language menu names each language in itself
    findings = [f"{locale} reader got {s!r}" for s in shingles(text) & foreign_shingles(locale)]
    if seen.prose and locale.startswith("zh") and not _CJK.search(text):
        findings.append(f"{locale} reader got no Chinese")
    return findings


@dataclass
class Seen:
    """One thing a user saw: a message version's text, caption, file name and button labels, or a toast."""

    where: str
    text: str
    prose: bool = True  # a sentence the bot wrote, not a button label or a file name


def _message_texts(message: SentMessage) -> Iterator[Seen]:
    for version in (*message.history, message):
        where = f"message {version.message_id}"
        for label, value in (
            ("text", version.text),
            ("caption", version.caption),
            ("file", version.filename),
        ):
            if value:
                yield Seen(f"{where} {label}", value, prose=label != "file")
        for row in version.buttons:
            for label, _ in row:
                yield Seen(f"{where} button", label, prose=False)


def seen_by(sandbox: BotAPISandbox, actor: Actor, query_ids: Iterable[str]) -> list[Seen]:
    """Everything the bot showed this user, edits and deleted messages included, and its callback answers."""
    messages = sandbox.messages(actor.user_id) + sandbox.messages(actor.user_id, deleted=True)
    seen = [s for m in messages for s in _message_texts(m)]
    wanted = set(query_ids)
    seen += [
        Seen("callback answer", a.text) for a in sandbox.callback_answers if a.query_id in wanted and a.text
    ]
    return seen


def leak_findings(world: World, actor: Actor, typed: str, seen: list[Seen]) -> list[str]:
    """Another company's data in what a contact (or a stranger) saw; echoes of what they typed excepted."""
    if actor.role is not None:
        return []  # port staff may see every customer
    others: list[Company] = [c for tag, c in world.companies.items() if tag != actor.company]
    typed_digits = re.sub(r"\D", "", typed)
    findings = []
    for item in seen:
        lowered, digits = item.text.lower(), re.sub(r"\D", "", item.text)
        for company in others:
            hits = [m for m in company.secret if m.lower() in lowered]
            hits += [m for m in company.typed_markers() if m in item.text and m not in typed]
            hits += [p for p in company.phones if p in digits and p not in typed_digits]
            findings += [
                f"{actor.key} saw {company.tag}'s {hit!r} in {item.where}: {item.text[:200]!r}"
                for hit in hits
            ]
    return findings
