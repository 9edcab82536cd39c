"""Telegram-HTML parsing: plain text, UTF-16 entity offsets and Telegram's refusals."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.formatting import format_text, plain_from_utf16


def parse(html: str) -> tuple[str, list[dict[str, object]]]:
    formatted = format_text(html, "HTML")
    return formatted.text, list(formatted.entities)


def test_all_supported_tags_become_entities() -> None:
    text, entities = parse(
        "<b>b</b><strong>s</strong><i>i</i><u>u</u><s>x</s><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">q</span><a href="https://example.com/?a=1&amp;b=2">l</a><code>c</code>'
        '<pre><code class="language-python">x=1</code></pre><blockquote expandable>z</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "bsiuxpqlcx=1z👍"
    kinds = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert kinds == [
        ("bold", 0, 1),
        ("bold", 1, 1),
        ("italic", 2, 1),
        ("underline", 3, 1),
        ("strikethrough", 4, 1),
        ("spoiler", 5, 1),
        ("spoiler", 6, 1),
        ("text_link", 7, 1),
        ("code", 8, 1),
        ("pre", 9, 3),
        ("expandable_blockquote", 12, 1),
        ("custom_emoji", 13, 2),
    ]
    assert entities[7]["url"] == "https://example.com/?a=1&b=2"
    assert entities[9]["language"] == "python"


def test_offsets_count_utf16_units_and_escapes_decode() -> None:
    text, entities = parse("😀 你好 &lt;<b>粗体</b>&#33;&#x21;")
    assert text == "😀 你好 <粗体!!"
    assert entities == [{"type": "bold", "offset": 7, "length": 2}]
    assert plain_from_utf16(text, 7, 2) == "粗体"


def test_surrounding_whitespace_is_trimmed_and_entities_follow() -> None:
    text, entities = parse("\n  <i> hi</i>  \n")
    assert text == "hi"
    assert entities == [{"type": "italic", "offset": 0, "length": 2}]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("&nbsp;", 'Unescaped "&" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<a href="x>y</a>', "Unclosed start tag"),
    ],
)
def test_invalid_html_is_refused_like_telegram(html: str, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        format_text(html, "HTML")
    assert caught.value.status == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert reason in caught.value.description


def test_byte_offsets_count_utf8_bytes() -> None:
    with pytest.raises(ApiError, match="at byte offset 6"):
        format_text("你好<x>", "HTML")


def test_lenient_mode_keeps_bare_ampersand_like_telegram() -> None:
    assert format_text("Tom & Jerry", "HTML", strict_html=False).text == "Tom & Jerry"


def test_plain_text_is_not_parsed() -> None:
    formatted = format_text("<b>not bold</b> & more", None)
    assert formatted.text == "<b>not bold</b> & more"
    assert formatted.entities == ()


def test_markdown_is_refused_clearly() -> None:
    with pytest.raises(ApiError, match="HTML only"):
        format_text("*x*", "MarkdownV2")
