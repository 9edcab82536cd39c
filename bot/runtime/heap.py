"""Takes what start-up built out of the collector's sight.

The bot keeps about 300,000 long-lived objects after start-up (aiogram's routers and models, SQLAlchemy's
mappers, catalogs), and every full collection walks them all: 0.3-1.2 s on a loaded machine, about 100 µs
per outbox message (bench/delivery.py). `gc.freeze()` moves them to a generation the collector never scans.
Objects made later are collected as before; what start-up built and later dropped is kept, which is little.
Called by the entry points (`portcrm run`), not by the dispatcher's start-up, which tests run many times.
"""

from __future__ import annotations

import gc


def freeze_start_up_heap() -> int:
    """Collect once, then freeze every object alive; returns how many are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
