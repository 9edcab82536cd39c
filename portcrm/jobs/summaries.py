"""A job's result in the reader's words: `portcrm jobs run` and the demo print these, never the result's dict.

A run stores its result as a dict of counts (job_runs.result); each count has a message here, per job, since
one key can mean different things in two jobs ("overdue" revisits, "overdue" complaints).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from portcrm.calendar import Festival
from portcrm.errors import N_

log = logging.getLogger(__name__)
Gettext = Callable[[str], str]

_SURVEYS = {
    "period": N_("quarter: {n}"),
    "opened": N_("surveys sent: {n}"),
    "already": N_("already surveyed: {n}"),
    "refused": N_("surveys that could not be sent: {n}"),
}
LABELS: dict[str, dict[str, str]] = {
    "revisit_reminders": {
        "due": N_("customers due for a revisit: {n}"),
        "reminders": N_("reminders to account managers: {n}"),
    },
    "overdue_revisits_weekly": {
        "overdue": N_("customers overdue for a revisit: {n}"),
        "summaries": N_("summaries to managers: {n}"),
    },
    "receivables": {
        "newly_overdue": N_("invoices newly overdue: {n}"),
        "overdue_alerts": N_("overdue alerts: {n}"),
        "statements": N_("statements to customers: {n}"),
        "statements_unreachable": N_("statements for customers with no billing contact on Telegram: {n}"),
        "legal_flagged": N_("invoices flagged for legal recovery: {n}"),
        "legal_alerts": N_("legal recovery alerts: {n}"),
    },
    "credit_exposure": {
        "over_limit": N_("customers over their credit limit: {n}"),
        "alerts": N_("credit alerts: {n}"),
    },
    "grading": {
        "assessed": N_("customers assessed: {n}"),
        "proposed": N_("grade proposals: {n}"),
        "upgrades": N_("upgrades: {n}"),
        "downgrades": N_("downgrades: {n}"),
        "notified": N_("managers notified: {n}"),
    },
    "quarterly_surveys": _SURVEYS,
    "complaint_surveys": _SURVEYS,
    "complaint_sla": {
        "open": N_("open complaints: {n}"),
        "overdue": N_("complaints past their deadline: {n}"),
        "escalations": N_("escalations: {n}"),
    },
    "complaint_digest": {
        "open": N_("open complaints: {n}"),
        "digests": N_("digests to the market department: {n}"),
    },
    "greetings": {
        Festival.NEW_YEAR.value: N_("New Year greetings: {n}"),
        Festival.SPRING_FESTIVAL.value: N_("Spring Festival greetings: {n}"),
        Festival.DRAGON_BOAT.value: N_("Dragon Boat Festival greetings: {n}"),
        Festival.MID_AUTUMN.value: N_("Mid-Autumn Festival greetings: {n}"),
        Festival.NATIONAL_DAY.value: N_("National Day greetings: {n}"),
        "birthday": N_("birthday greetings: {n}"),
        "anniversary": N_("cooperation anniversary greetings: {n}"),
    },
    "housekeeping": {"updates_forgotten": N_("handled updates forgotten: {n}")},
    "free_time_alerts": {
        "shipments": N_("shipments whose free time runs: {n}"),
        "warnings": N_("Last Free Day warnings: {n}"),
    },
}


def describe(job: str, result: Mapping[str, Any], gettext: Gettext) -> str:
    """The result's counts as one line: "customers assessed: 200; grade proposals: 39; …" in the locale."""
    labels = LABELS.get(job, {})
    parts = []
    for key, value in result.items():
        label = labels.get(key)
        if label is None:  # a count added to a job without a message here: shown, and logged to be named
            log.warning("job %s: no message for result %r", job, key)
            parts.append(f"{key}: {value}")
            continue
        parts.append(gettext(label).format(n=value))
    return gettext("; ").join(parts) if parts else gettext("nothing to report")
