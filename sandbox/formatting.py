"""Turn a request's text + parse_mode/entities into what Telegram stores: plain text and entities.

Telegram parses entities first, then trims surrounding whitespace, then checks length, and
reports entity offsets in UTF-16 code units; this module does the same in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .htmltext import parse_html
from .limits import utf16_len


@dataclass(frozen=True)
class FormattedText:
    """Parsed text as Telegram keeps it; ``raw`` is the text exactly as the bot sent it."""

    text: str
    entities: tuple[dict[str, Any], ...]
    raw: str

    def entities_json(self) -> list[dict[str, Any]]:
        """Entities as fresh dicts, safe to put into a response."""
        return [dict(entity) for entity in self.entities]


def format_text(
    raw: str, parse_mode: str | None, entities: Any = None, *, strict_html: bool = True
) -> FormattedText:
    """Parse ``raw`` like sendMessage/caption parsing does; ``parse_mode`` wins over ``entities``."""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        plain, spans = parse_html(raw, strict_ampersand=strict_html)
        utf16 = [_span_to_utf16(plain, start, end, entity) for start, end, entity in spans]
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r} (the sandbox implements HTML only)")
    else:
        plain, utf16 = raw, _explicit_entities(raw, entities)
    text, trimmed = _trim(plain, utf16)
    trimmed.sort(key=lambda e: (e["offset"], -e["length"]))
    return FormattedText(text=text, entities=tuple(trimmed), raw=raw)


def _span_to_utf16(plain: str, start: int, end: int, entity: dict[str, Any]) -> dict[str, Any]:
    offset = utf16_len(plain[:start])
    return {**entity, "offset": offset, "length": utf16_len(plain[start:end])}


def _explicit_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    if entities is None:
        return []
    if not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    result = []
    for entity in entities:
        if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
            raise bad_request("can't parse MessageEntity: expected an Object with a type")
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise bad_request("can't parse MessageEntity: offset and length must be non-negative integers")
        if length and offset + length <= total:
            result.append(dict(entity))
    return result


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace and cut entities to what is left, in UTF-16 units."""
    stripped = text.strip()
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    end = lead + utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"], lead)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            result.append({**entity, "offset": start - lead, "length": stop - start})
    return stripped, result


def plain_from_utf16(text: str, offset: int, length: int) -> str:
    """The substring an entity covers, given UTF-16 offsets (for tests and debugging)."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")
