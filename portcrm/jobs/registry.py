"""Every scheduled job, in one list: the scheduler, `portcrm jobs list` and `portcrm jobs run` read it."""

from __future__ import annotations

from portcrm.jobs.base import Job
from portcrm.jobs.complaint_sla import COMPLAINT_DIGEST, COMPLAINT_SLA
from portcrm.jobs.credit import CREDIT_EXPOSURE
from portcrm.jobs.free_time import FREE_TIME_ALERTS
from portcrm.jobs.grading import GRADING
from portcrm.jobs.greetings import GREETINGS
from portcrm.jobs.housekeeping import HOUSEKEEPING
from portcrm.jobs.receivables import RECEIVABLES
from portcrm.jobs.revisits import OVERDUE_REVISITS_WEEKLY, REVISIT_REMINDERS
from portcrm.jobs.surveys import COMPLAINT_SURVEYS, QUARTERLY_SURVEYS

JOBS: tuple[Job, ...] = (
    REVISIT_REMINDERS,
    OVERDUE_REVISITS_WEEKLY,
    RECEIVABLES,
    CREDIT_EXPOSURE,
    GRADING,
    QUARTERLY_SURVEYS,
    COMPLAINT_SURVEYS,
    COMPLAINT_SLA,
    COMPLAINT_DIGEST,
    GREETINGS,
    HOUSEKEEPING,
    FREE_TIME_ALERTS,
)


def find(name: str) -> Job | None:
    return next((job for job in JOBS if job.name == name), None)
