"""Warnings before a Last Free Day: 72 h and 24 h before free time ends, to the shipment's subscribers and
the customer's account manager, each in their language.

A clock is warned of while it runs (demurrage until gate-out, detention until the empty box is back), at the
nearest threshold it has come within: a box with only a day left hears the 24 h warning alone. The outbox
key names the box, the charge, the threshold and the LFD, so each warning goes once, and goes again when the
LFD moves (a corrected event, a new agreement). The boxes of a shipment whose same charge ends on the same
day share one warning, so a 60-box B/L is one message, not sixty. Sent by the hourly job in
portcrm/jobs/free_time.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.i18n import translation
from portcrm.messaging import outbox
from portcrm.services.recipients.staff_alerts import staff_members
from portcrm.services.tracking.free_time.clocks import Clock
from portcrm.services.tracking.free_time.equipment import Equipment
from portcrm.services.tracking.free_time.facts import ShipmentBoxes
from portcrm.services.tracking.free_time.milestones import BoxFreeTime
from portcrm.services.tracking.free_time.names import CHARGE_NAMES, Gettext, equipment_text, rule_text
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.free_time.tariff import Tariff
from portcrm.services.tracking.pushes import open_shipment_data, subscribers
from portcrm.settings import Locale

log = logging.getLogger(__name__)

KIND = "free_time_alert"
THRESHOLD_HOURS = (24, 72)  # nearest first
_MAX_BOXES = 20  # listed in one warning; the rest are counted (the card lists them all)
_BOXES_IN_KEY = 4
_WORKING_SLACK_DAYS = 30  # statutory holidays a working-day count can span, beyond two days a week


def due_threshold(clock: Clock, now: dt.datetime, tz: ZoneInfo) -> int | None:
    """The nearest threshold (hours) the running clock's free time has come within, if any."""
    if not clock.running:
        return None
    left = clock.free_time_ends(tz) - now
    if left <= dt.timedelta(0):
        return None
    return next((hours for hours in THRESHOLD_HOURS if left <= dt.timedelta(hours=hours)), None)


def search_window(tariff: Tariff, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start events between these moments can have free time ending within the largest threshold.

    Free time ends at least `free_days` days after its start day, and at most `free_days - 1` days after it
    on a calendar basis, or twice that plus a month of holidays on a working one. A day of slack each side
    covers the start day's own hours and clock changes.
    """
    lines = tariff.every_line()
    if not lines:
        return now, now
    shortest = min(line.free_days for line in lines)
    longest = max(line.free_days * 2 + _WORKING_SLACK_DAYS for line in lines)
    reach = dt.timedelta(hours=max(THRESHOLD_HOURS))
    return now - dt.timedelta(days=longest + 2), now + reach - dt.timedelta(days=shortest - 2)


async def warn_shipment(
    session: AsyncSession,
    shipment: ShipmentBoxes,
    rules: FreeTimeRules,
    now: dt.datetime,
    default_locale: Locale,
) -> int:
    """Enqueue the warnings due for the shipment's boxes; returns how many were new. Commits nothing."""
    due = [
        (box, clock, hours)
        for box in shipment.free_time(rules, now)
        for clock in box.clocks
        if (hours := due_threshold(clock, now, rules.tz)) is not None
    ]
    if not due:
        return 0
    contacts = (await subscribers(session, [shipment.shipment_id], default_locale)).get(
        shipment.shipment_id, []
    )
    staff = await staff_members(session, [shipment.account_manager_id], default_locale)
    groups: dict[tuple[str, int, dt.date], list[tuple[BoxFreeTime, Clock]]] = defaultdict(list)
    for box, clock, hours in due:  # one message per charge, threshold and LFD, listing its boxes
        groups[(clock.charge.value, hours, clock.last_free_day)].append((box, clock))
    enqueued = 0
    for (charge, hours, lfd), boxes in groups.items():
        key = f"lfd:{shipment.shipment_id}:{_boxes_key(boxes)}:{charge}:{hours}h:{lfd}"
        for contact in contacts:
            _ = translation(contact.locale).gettext
            enqueued += await outbox.enqueue(
                session,
                key=f"{key}:c{contact.contact_id}",
                kind=KIND,
                chat_id=contact.chat_id,
                contact_id=contact.contact_id,
                text=alert_text(shipment, boxes, hours, contact.locale, staff=False),
                reply_markup=outbox.inline_keyboard([(_("Open"), open_shipment_data(shipment.shipment_id))]),
            )
        for member in staff.values():
            enqueued += await outbox.enqueue(
                session,
                key=f"{key}:s{member.staff_id}",
                kind=KIND,
                chat_id=member.chat_id,
                staff_id=member.staff_id,
                text=alert_text(shipment, boxes, hours, member.locale, staff=True),
            )
    if enqueued:
        log.info("enqueued %d free time warning(s) for shipment %s", enqueued, shipment.shipment_id)
    return enqueued


def alert_text(
    shipment: ShipmentBoxes,
    boxes: Sequence[tuple[BoxFreeTime, Clock]],
    hours: int,
    locale: Locale,
    *,
    staff: bool,
) -> str:
    """One warning for the boxes whose same charge ends on the same day: each box with its daily rate."""
    _ = translation(locale).gettext
    first_clock = boxes[0][1]
    lfd = format_date(first_clock.last_free_day, "medium", locale=locale)
    first_charged = format_date(first_clock.last_free_day + dt.timedelta(days=1), "medium", locale=locale)
    lines = [
        "⏰ "
        + _("<b>Free time ends within {hours} hours</b> · {reference}").format(
            hours=hours, reference=html.escape(shipment.reference)
        )
    ]
    if staff:
        lines.append(_("Company: {company}").format(company=html.escape(shipment.customer_name)))
    lines.append(
        _("{charge}: last free day <b>{date}</b>").format(
            charge=_(CHARGE_NAMES[first_clock.charge]), date=lfd
        )
    )
    for box, clock in boxes[:_MAX_BOXES]:
        assert box.equipment is not None  # a clock runs only for a box the tariff prices
        lines.append(
            _("Container: {container}").format(container=_box(box.number, box.equipment, _))
            + " · "
            + _("From {date}: {rate} a day.").format(
                date=first_charged, rate=_money(clock.rates()[0][2], clock.currency, locale)
            )
        )
    if len(boxes) > _MAX_BOXES:
        lines.append(_("… and {count} more").format(count=len(boxes) - _MAX_BOXES))
    lines.append(_("Rule: {rule}").format(rule=rule_text(first_clock.rule, _)))
    return "\n".join(lines)


def _boxes_key(boxes: Sequence[tuple[BoxFreeTime, Clock]]) -> str:
    """The boxes in an outbox key (at most 200 characters): by number when few, else by a digest."""
    numbers = sorted(box.number for box, _clock in boxes)
    if len(numbers) <= _BOXES_IN_KEY:
        return ",".join(numbers)
    return f"{len(numbers)}x{hashlib.sha1(','.join(numbers).encode()).hexdigest()[:12]}"  # noqa: S324 - a key


def _box(number: str, equipment: Equipment, _: Gettext) -> str:
    return _("{container} ({equipment})").format(
        container=html.escape(number), equipment=html.escape(equipment_text(equipment, _), quote=False)
    )


def _money(amount: Decimal, currency: str, locale: str) -> str:
    return html.escape(format_currency(amount, currency, locale=locale))
