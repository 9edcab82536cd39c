"""An HTML mail body reduced to plain text with the standard library's parser, never with patterns.

Scripts, styles and the head are dropped with their content; block elements and <br> become line breaks;
entities are unescaped by the parser (`convert_charrefs`); runs of blank lines are squeezed.
"""

from __future__ import annotations

from html.parser import HTMLParser

_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
_BLOCKS = frozenset(
    {"p", "div", "tr", "li", "ul", "ol", "table", "blockquote", "pre", "section", "article", "header",
     "footer", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
)  # fmt: skip


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag == "br" or tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping and data:
            # whitespace inside inline text is one space, at its edges too (a tag between words)
            squeezed = " ".join(data.split())
            lead = " " if data[:1].isspace() else ""
            trail = " " if data[-1:].isspace() and squeezed else ""
            self.parts.append(lead + squeezed + trail)


def html_to_text(markup: str) -> str:
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text: list[str] = []
    for line in lines:
        if line or (text and text[-1]):
            text.append(line)
    return "\n".join(text).strip()
