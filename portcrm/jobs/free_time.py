"""Last Free Day warnings: every hour, the boxes whose free time ends within 72 or 24 hours are told of.

Which boxes and which warning are decided in portcrm/services/tracking/free_time (alerts.py); this job only
finds the candidates in one short read and warns a batch of shipments per transaction.
"""

from __future__ import annotations

import logging

from portcrm.calendar import PortCalendar
from portcrm.errors import N_
from portcrm.jobs.base import Job, JobContext, JobResult, hourly
from portcrm.services.tracking.free_time.alerts import search_window, warn_shipment
from portcrm.services.tracking.free_time.facts import shipment_boxes, shipments_with_running_clocks
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.free_time.tariff_file import load_tariff
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
BATCH = 100  # shipments warned per transaction: short ones, so the chat is never kept waiting


async def warn_before_last_free_day(ctx: JobContext) -> JobResult:
    settings = ctx.settings
    tariff = load_tariff(settings.tariff_file)
    rules = FreeTimeRules(tariff, PortCalendar(settings), settings.tz)
    started_after, started_before = search_window(tariff, ctx.now)
    async with ctx.db.session() as session, transaction(session):
        candidates = await shipments_with_running_clocks(
            session, started_after=started_after, started_before=started_before
        )
    warnings = 0
    for start in range(0, len(candidates), BATCH):
        async with ctx.db.session() as session, transaction(session):
            for shipment in await shipment_boxes(session, candidates[start : start + BATCH]):
                warnings += await warn_shipment(session, shipment, rules, ctx.now, settings.default_locale)
    return {"shipments": len(candidates), "warnings": warnings}


FREE_TIME_ALERTS = Job(
    "free_time_alerts",
    N_("Last Free Day warnings: 72 h and 24 h before free time ends"),
    {"minute": 5},
    hourly,
    warn_before_last_free_day,
)
