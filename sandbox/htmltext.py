"""Strict parser for Telegram's HTML formatting (parse_mode=HTML).

It follows TDLib's parser: only Telegram's tags, properly nested, attribute values quoted or
bare, and Telegram's error texts. One deliberate difference: a ``&`` that does not start an
entity is an error here (Telegram shows it literally), because in this product it almost always
means user input was not passed through ``html.escape``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request

_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+));")


@dataclass
class _OpenTag:
    name: str
    start: int  # offset in the plain text, in code points
    byte_offset: int
    attrs: dict[str, str]
    language: str | None = None


@dataclass
class _Parser:
    source: str
    strict_ampersand: bool
    out: list[str] = field(default_factory=list)
    length: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)

    def error(self, message: str) -> ApiError:
        return bad_request(f"can't parse entities: {message}")

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += len(text)

    def run(self) -> tuple[str, list[tuple[int, int, dict[str, Any]]]]:
        source, i = self.source, 0
        while i < len(source):
            char = source[i]
            if char == "&":
                i = self.entity(i)
            elif char == "<":
                i = self.end_tag(i) if source.startswith("</", i) else self.start_tag(i)
            else:
                nxt = min(
                    (p for p in (source.find("&", i), source.find("<", i)) if p != -1), default=len(source)
                )
                self.emit(source[i:nxt])
                i = nxt
        if self.stack:
            raise self.error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        return "".join(self.out), self.entities

    def entity(self, i: int) -> int:
        match = _ENTITY_RE.match(self.source, i)
        decoded = _decode(match) if match else None
        if decoded is None:
            if self.strict_ampersand:
                raise self.error(
                    f'Unescaped "&" at byte offset {self.byte_offset(i)} (the sandbox requires &amp;)'
                )
            self.emit("&")
            return i + 1
        assert match is not None
        self.emit(decoded)
        return match.end()

    def start_tag(self, begin: int) -> int:
        source, i = self.source, begin + 1
        end = i
        while end < len(source) and not source[end].isspace() and source[end] not in ">/":
            end += 1
        if end >= len(source):
            raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = source[i:end].lower()
        if name not in _ENTITY_TYPES:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        attrs, i = self.attributes(end, name, begin)
        offset = self.byte_offset(begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.error(f'Tag "tg-emoji" must have a numeric "emoji-id" at byte offset {offset}')
        self.stack.append(_OpenTag(name, self.length, offset, attrs))
        return i

    def attributes(self, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
        source, attrs = self.source, {}
        while True:
            while i < len(source) and source[i].isspace():
                i += 1
            if i >= len(source):
                raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if source[i] == ">":
                return attrs, i + 1
            start = i
            while i < len(source) and (source[i].isalnum() or source[i] in "-_"):
                i += 1
            name = source[start:i].lower()
            if not name:
                raise self.error(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte_offset(start)}'
                )
            while i < len(source) and source[i].isspace():
                i += 1
            if i >= len(source) or source[i] != "=":
                attrs[name] = ""
                continue
            i += 1
            while i < len(source) and source[i].isspace():
                i += 1
            value, i = self.attribute_value(i, tag, begin)
            attrs[name] = value

    def attribute_value(self, i: int, tag: str, begin: int) -> tuple[str, int]:
        source = self.source
        if i < len(source) and source[i] in "\"'":
            end = source.find(source[i], i + 1)
            if end == -1:
                raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            return unescape(source[i + 1 : end]), end + 1
        start = i
        while i < len(source) and (source[i].isalnum() or source[i] in ".-_"):
            i += 1
        if i == start:
            raise self.error(
                f'Expected quote in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {self.byte_offset(start)}"
            )
        return source[start:i], i

    def end_tag(self, begin: int) -> int:
        close = self.source.find(">", begin)
        offset = self.byte_offset(begin)
        if close == -1:
            raise self.error(f"Unclosed end tag at byte offset {offset}")
        name = self.source[begin + 2 : close].strip().lower()
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {offset}")
        tag = self.stack[-1]
        if name != tag.name:
            raise self.error(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close(tag)
        return close + 1

    def close(self, tag: _OpenTag) -> None:
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            parent.language = _language(tag.attrs) or parent.language
            return  # <pre><code class="language-x"> is one pre entity, as in Telegram
        if self.length == tag.start:
            return
        entity: dict[str, Any] = {"type": _ENTITY_TYPES[tag.name]}
        if tag.name == "a":
            href = tag.attrs.get("href", "")
            if not href:
                return
            entity["url"] = href
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        self.entities.append((tag.start, self.length, entity))


def _language(attrs: dict[str, str]) -> str | None:
    css = attrs.get("class", "")
    return css.removeprefix("language-") if css.startswith("language-") and len(css) > 9 else None


def _decode(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def unescape(text: str) -> str:
    """Decode Telegram's entities in attribute values, leaving anything else as written."""
    return _ENTITY_RE.sub(lambda m: _decode(m) or m.group(0), text)


def parse_html(
    source: str, *, strict_ampersand: bool = True
) -> tuple[str, list[tuple[int, int, dict[str, Any]]]]:
    """Parse Telegram HTML into plain text and ``(start, end, entity)`` spans in code points.

    Raises :class:`ApiError` 400 "can't parse entities: ..." for anything Telegram would refuse.
    """
    return _Parser(source, strict_ampersand).run()
