"""Texts of the staff's complaint desk shared by its screens: the queue's filter names."""

from __future__ import annotations

from aiogram.utils.i18n import lazy_gettext as __

from portcrm.services.complaints.queue import QueueFilter

FILTER_NAMES = {
    QueueFilter.ALL: __("All"),
    QueueFilter.SUBMITTED: __("Submitted"),
    QueueFilter.IN_PROGRESS: __("In progress"),
    QueueFilter.WAITING: __("Waiting for customer"),
    QueueFilter.PROPOSED: __("Resolution proposed"),
    QueueFilter.RESOLVED: __("Resolved"),
}
