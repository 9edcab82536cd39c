"""The keys customer search matches on: computed when a code or name is written, stored in indexed columns.

Field marketers type on phones, so "nbyy" must find 宁波远洋…: the pinyin is worked out once per write
(`Customer`'s validators, the 0007 backfill, the bench's bulk loader) instead of on every search.
pypinyin's phrase dictionaries cost about 55 MB of memory, so they are imported on the first name written:
a process that only searches never loads them.
"""

from __future__ import annotations

import re

_NOT_KEY = re.compile(r"[^a-z0-9]")


def fold(text: str | None) -> str:
    """The case-insensitive form of a stored name or code and of what a person types."""
    return (text or "").casefold()


def pinyin_keys(name: str | None) -> tuple[str, str]:
    """Full pinyin and initials of a name, letters and digits only: 宁波远洋 → ("ningboyuanyang", "nbyy").

    Latin runs are kept whole: ABC物流 → ("abcwuliu", "abcwl").
    """
    from pypinyin import Style, lazy_pinyin  # see the module docstring

    text = name or ""
    full = "".join(lazy_pinyin(text)).casefold()
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).casefold()
    return _NOT_KEY.sub("", full), _NOT_KEY.sub("", initials)


def customer_keys(code: str | None, name: str | None, name_en: str | None) -> dict[str, str]:
    """Every search column of one customer, by column name, for writers that bypass the ORM."""
    full, initials = pinyin_keys(name)
    return {
        "search_code": fold(code),
        "search_name": fold(name),
        "search_name_en": fold(name_en),
        "search_pinyin": full,
        "search_initials": initials,
    }


# The substring index (table customer_search_grams, migration 0009): for each position of a key, the window
# of up to GRAM characters starting there. A query of GRAM characters or more occurs only where all its
# windows do; a shorter one occurs exactly where a stored window starts with it.
GRAM = 4
NAMES, INITIALS = "n", "i"  # what a gram was cut from: the folded names (both), or the pinyin initials


def windows(key: str) -> set[str]:
    """宁波远洋港 → {"宁波远洋", "波远洋港", "远洋港", "洋港", "港"}: each substring starts one of these."""
    return {key[i : i + GRAM] for i in range(len(key))}


def customer_grams(name: str, name_en: str, initials: str) -> set[tuple[str, str]]:
    """(kind, gram) rows of one customer, from its stored search_name, search_name_en and search_initials."""
    return {(NAMES, g) for g in windows(name) | windows(name_en)} | {(INITIALS, g) for g in windows(initials)}


def query_grams(text: str) -> list[str]:
    """The full-length windows a query's matches must all have, distinct and in order ([] if it is short)."""
    return list(dict.fromkeys(text[i : i + GRAM] for i in range(len(text) - GRAM + 1)))
