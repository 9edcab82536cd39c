"""Every user-visible string in the code has a real translation in all three locales."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from portcrm.settings import LOCALES, PROJECT_ROOT

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z]+")
KEYWORDS = {**DEFAULT_KEYWORDS, "__": None, "N_": None}


def _source_messages() -> set[str]:
    found = set()
    for package in ("portcrm", "bot"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """Plural entries hold a tuple of forms; every form must be translated."""
    return (value,) if isinstance(value, str) else tuple(value)


def _first(value: str | tuple[str, ...]) -> str:
    return _forms(value)[0]


@pytest.fixture(scope="module")
def source_messages() -> set[str]:
    return _source_messages()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_in_the_code_is_translated(locale: str, source_messages: set[str]) -> None:
    with (PROJECT_ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    translated = {
        _first(m.id): _first(m.string) for m in catalog if m.id and all(_forms(m.string)) and not m.fuzzy
    }
    missing = sorted(source_messages - translated.keys())
    assert missing == [], f"{locale}: untranslated (run the pybabel commands in the README): {missing}"
    for msgid, msgstr in translated.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (locale, msgid)
        assert TAG.findall(msgid) == TAG.findall(msgstr), (locale, msgid)
        if locale != "en" and re.search(r"[A-Za-z]{4,}", PLACEHOLDER.sub("", TAG.sub("", msgid))):
            assert msgstr != msgid, f"{locale}: left in English: {msgid}"


def test_periods_read_as_people_say_them() -> None:
    from portcrm.i18n import gettext_for
    from portcrm.labels import period_label

    assert period_label("2026-Q3", gettext_for("zh_CN")) == "2026年第3季度"
    assert period_label("2026-Q3", gettext_for("en")) == "Q3 2026"
    assert period_label("2026-<b>", gettext_for("en")) == "2026-&lt;b&gt;"
