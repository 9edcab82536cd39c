"""The status card's free time section: per box, the Last Free Day and what demurrage and detention have
accrued, itemised (availability date, free time with its start and end, days times the rate of each tier,
the rule applied), as HTML. The counting is the core's (portcrm/services/tracking/free_time); this only
words it.

A ship's worth of boxes does not fit in one message: the first boxes are itemised, the next are summarised
in a line each, the rest are counted, and the section never takes more than the room the card leaves.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date
from babel.numbers import format_currency

from portcrm.enums import CargoEventType
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.services.tracking.free_time.clocks import Clock
from portcrm.services.tracking.free_time.milestones import BoxFreeTime
from portcrm.services.tracking.free_time.names import (
    CHARGE_NAMES,
    equipment_text,
    free_days_text,
    rule_text,
)

ITEMISED = 3  # boxes shown in full
SUMMARISED = 10  # boxes shown in a line each after those
_RESERVE = 40  # room kept for the closing "… and N more"
_TAG = re.compile(r"<[^>]*>")  # every other "<" in the card is escaped


def free_time_section(boxes: tuple[BoxFreeTime, ...], locale: str, room: int) -> list[str]:
    """Lines to add to the card, at most `room` characters as Telegram counts them (`shown_length`) with
    the newline that joins them to it.

    A box is itemised only while the boxes after it still fit in a line each: with many boxes, a line for
    each of several is worth more than the detail of one.
    """
    lines = ["", "<b>" + _("Free time and charges") + "</b>"]
    if not boxes or _length(lines) + _RESERVE > room:
        return []
    listed = boxes[: ITEMISED + SUMMARISED]
    summaries = [_summary(box, locale) for box in listed]
    reserve = 0 if len(listed) == len(boxes) else _RESERVE
    shown, itemising = 0, True
    for index, box in enumerate(listed):
        itemising = itemising and index < ITEMISED
        block = _itemised(box, locale) if itemising else []
        if itemising and _length([*lines, *block, *summaries[index + 1 :]]) + reserve <= room:
            lines += block
        elif _length([*lines, summaries[index]]) + _RESERVE <= room:
            itemising = False  # once one box is summarised, the rest are: the list reads in order
            lines.append(summaries[index])
        else:
            break
        shown += 1
    if shown < len(boxes):
        lines.append(_("… and {count} more").format(count=len(boxes) - shown))
    return lines


def shown_length(text: str) -> int:
    """How long Telegram counts HTML text: after its tags and escapes, in UTF-16 code units."""
    return len(html.unescape(_TAG.sub("", text)).encode("utf-16-le")) // 2


def _length(lines: list[str]) -> int:
    return shown_length("\n".join(lines)) + 1


def _itemised(box: BoxFreeTime, locale: str) -> list[str]:
    lines = [_heading(box)]
    for clock in box.clocks:
        lines += _clock(clock, locale)
    return lines + _unpriced(box)


def _heading(box: BoxFreeTime) -> str:
    number = html.escape(box.number)
    if box.equipment is None:
        return f"▫️ <b>{number}</b>"
    return f"▫️ <b>{number}</b> · {html.escape(equipment_text(box.equipment, _), quote=False)}"


def _clock(clock: Clock, locale: str) -> list[str]:
    free = clock.free
    lines = [
        _("<b>{charge}</b>: last free day <b>{date}</b> · {state}").format(
            charge=_(CHARGE_NAMES[clock.charge]),
            date=_day(clock.last_free_day, locale),
            state=_state(clock, locale),
        ),
        _started(clock, locale)
        + " · "
        + _("free time {days}: {start} – {end}").format(
            days=free_days_text(free.free_days, free.basis, ngettext),
            start=_day(free.starts_on, locale),
            end=_day(free.last_free_day, locale),
        ),
    ]
    if not clock.items:
        lines.append(_("Rates a day: {rates}").format(rates=_rates(clock, locale)))
        lines.append(
            _("Nothing accrued yet.") if clock.running else _("Nothing to pay: it stopped within free time.")
        )
    else:
        lines.append(
            _("Accrued to {date}: <b>{amount}</b>").format(
                date=_day(clock.counted_to, locale), amount=_money(clock.total, clock.currency, locale)
            )
        )
        lines += [
            "• "
            + _("{first} – {last}: {days} × {rate} = {amount}").format(
                first=_day(item.first_day, locale),
                last=_day(item.last_day, locale),
                days=ngettext("{count} day", "{count} days", item.days).format(count=item.days),
                rate=_money(item.rate, clock.currency, locale),
                amount=_money(item.amount, clock.currency, locale),
            )
            for item in clock.items
        ]
    lines.append(_("Rule: {rule}").format(rule=rule_text(clock.rule, _)))
    return lines


def _started(clock: Clock, locale: str) -> str:
    """The availability date of a discharged box; for the other clocks, the day they started."""
    event = html.escape(_(CARGO_EVENT_NAMES[clock.events.starts]))
    date = _day(clock.free.available_on, locale)
    if clock.events.starts is CargoEventType.DISCHARGED:
        return _("Available {date} ({event})").format(date=date, event=event)
    return _("Started {date} ({event})").format(date=date, event=event)


def _state(clock: Clock, locale: str) -> str:
    if not clock.running:
        assert clock.stopped_at is not None
        return _("stopped {date} ({event})").format(
            date=_day(clock.counted_to, locale), event=html.escape(_(CARGO_EVENT_NAMES[clock.events.stops]))
        )
    left = (clock.last_free_day - clock.counted_to).days
    if left < 0:
        return _("charges are running")
    if left == 0:
        return _("free time ends today")
    return ngettext("free time ends in {count} day", "free time ends in {count} days", left).format(
        count=left
    )


def _rates(clock: Clock, locale: str) -> str:
    parts = []
    for first, last, rate in clock.rates():
        if last is None:
            days = _("from day {first}").format(first=first)
        else:
            days = _("days {first}–{last}").format(first=first, last=last)
        parts.append(f"{days} {_money(rate, clock.currency, locale)}")
    return " · ".join(parts)


def _summary(box: BoxFreeTime, locale: str) -> str:
    parts = [
        _("{charge}: last free day {date}, accrued {amount}").format(
            charge=_(CHARGE_NAMES[clock.charge]),
            date=_day(clock.last_free_day, locale),
            amount=_money(clock.total, clock.currency, locale),
        )
        for clock in box.clocks
    ]
    return "• " + _("<b>{container}</b>: {charges}").format(
        container=html.escape(box.number), charges=_("; ").join(parts + _unpriced(box))
    )


def _unpriced(box: BoxFreeTime) -> list[str]:
    """Started clocks the tariff cannot price: said, never guessed."""
    if box.equipment is None:
        return [_("free time not counted: size and type unknown")] if box.unpriced else []
    return [
        _("{charge}: no tariff line for this container").format(charge=_(CHARGE_NAMES[charge]))
        for charge in box.unpriced
    ]


def _day(value: dt.date, locale: str) -> str:
    return format_date(value, "medium", locale=locale)


def _money(amount: Decimal, currency: str, locale: str) -> str:
    return html.escape(format_currency(amount, currency, locale=locale))
