"""Catalog compilation and locale choice, shared by the bot, the CLI and scheduled jobs.

Only `.po` files are versioned: `.mo` files are compiled from them at start-up when missing or stale, so a
fresh clone runs without a separate build step and a catalog edit is never served out of date.
"""

from __future__ import annotations

import gettext
import logging
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portcrm.settings import LOCALES, PROJECT_ROOT, Locale

DOMAIN = "messages"
DEFAULT_DIR = PROJECT_ROOT / "locales"
log = logging.getLogger(__name__)


def compile_catalogs(locales_dir: Path = DEFAULT_DIR) -> list[Path]:
    """Compile every stale catalog; returns the .mo files written."""
    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # written aside and renamed: instances starting together never read a half-written catalog
        partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)
        written.append(mo_path)
        log.info("compiled %s", mo_path)
    return written


def resolve_locale(saved: str | None, telegram_language: str | None, default: Locale) -> Locale:
    """The user's saved choice, else their Telegram app language, else the port's default."""
    for locale in LOCALES:
        if saved == locale:
            return locale
    code = (telegram_language or "").lower().replace("_", "-")
    if code.startswith("zh"):
        traditional = ("hant", "-tw", "-hk", "-mo")
        return "zh_TW" if any(tag in code for tag in traditional) else "zh_CN"
    if code.startswith("en"):
        return "en"
    return default


def translation(locale: str, locales_dir: Path = DEFAULT_DIR) -> gettext.NullTranslations:
    """A translation outside the chat (CLI, jobs); English source strings when the catalog is absent.

    Only a catalog that was found is cached, so a call made before the catalogs are compiled does not pin
    the English fallback for the rest of the process.
    """
    try:
        return _compiled(locale, str(locales_dir))
    except FileNotFoundError:
        return gettext.NullTranslations()


@cache
def _compiled(locale: str, locales_dir: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=locales_dir, languages=[locale])


def gettext_for(locale: str, locales_dir: Path = DEFAULT_DIR) -> Callable[[str], str]:
    return translation(locale, locales_dir).gettext
