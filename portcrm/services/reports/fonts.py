"""The fonts the charts are drawn with, and the one matplotlib style every chart is drawn in.

A fresh server has no font with Chinese glyphs, and matplotlib draws missing glyphs as boxes. The package
`noto-cjk-sans-otc` installs Noto Sans CJK (one .ttc holding the SC, TC, HK, JP and KR faces) with PortCRM;
matplotlib >= 3.11 registers every face of a collection (3.9 and 3.10 only the first, the JP one).

The font is registered in memory once per process, on the first chart: the bot does not load matplotlib
at start-up (tests/test_lazy_imports.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from matplotlib import font_manager, rc_context

log = logging.getLogger(__name__)

# Chinese text in its own script's face (SC and TC draw some characters differently); English charts in
# matplotlib's default face, falling back to the CJK face glyph by glyph for Chinese names.
FAMILIES: dict[str, list[str]] = {
    "zh_CN": ["Noto Sans CJK SC", "DejaVu Sans"],
    "zh_TW": ["Noto Sans CJK TC", "DejaVu Sans"],
    "en": ["DejaVu Sans", "Noto Sans CJK SC"],
}

# matplotlib's global state (rcParams, the font manager) is not thread-safe, and charts are drawn in worker
# threads: one drawing at a time.
_LOCK = threading.RLock()
_registered = False


def register_cjk_font() -> None:
    """Add the packaged Noto Sans CJK faces to matplotlib's font manager (once per process)."""
    global _registered
    with _LOCK:
        if _registered:
            return
        import noto_cjk_sans_otc  # a file path only; imported here to keep the bot's start-up lean

        # installed unpacked by pip: a real file, which matplotlib opens again at every drawing
        font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
        _registered = True
        log.info("registered %s for report charts", noto_cjk_sans_otc.FONT_FILE)


@contextmanager
def chart_style(locale: str) -> Iterator[None]:
    """Draw inside this: the locale's fonts, one drawing at a time."""
    register_cjk_font()
    params = {
        "font.family": FAMILIES.get(locale, FAMILIES["en"]),
        "axes.formatter.useoffset": False,  # no "1e6" above an axis: amounts are written out
    }
    with _LOCK, rc_context(params):
        yield
