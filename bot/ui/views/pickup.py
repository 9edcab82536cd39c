"""The status card's answer to "can I pick up?": each box's state, and what still holds it.

Boxes with the same answer are listed on one line, so a shipment of many boxes stays a few lines long.
"""

from __future__ import annotations

from collections import defaultdict

from aiogram.utils.i18n import gettext as _
from babel.lists import format_list

from portcrm.services.tracking.release import BoxRelease, Pickup, Release, ReleaseStatus

_MAX_NUMBERS = 10  # per line; the rest are counted
_ICONS = {
    Pickup.AVAILABLE: "✅",
    Pickup.AWAITING_RELEASE: "⏳",
    Pickup.HELD: "⛔",
    Pickup.NOT_DISCHARGED: "🚢",
    Pickup.GATED_OUT: "📤",
}


def pickup_lines(release: ReleaseStatus, locale: str) -> list[str]:
    if not release.boxes:
        return []
    groups: dict[tuple[Pickup, str], list[str]] = defaultdict(list)
    for box in release.boxes:
        groups[(box.pickup, _reason(box, release.payment_hold, locale))].append(box.number)
    lines = ["", "<b>" + _("Can I pick up?") + "</b>"]
    for pickup in Pickup:
        for (kind, reason), numbers in groups.items():
            if kind is pickup:
                line = _("{state}: {containers}").format(state=reason, containers=_numbers(numbers))
                lines.append(f"{_ICONS[pickup]} {line}")
    return lines


def _reason(box: BoxRelease, payment_hold: bool, locale: str) -> str:
    if box.pickup is Pickup.AVAILABLE:
        return _("available for pick-up")
    if box.pickup is Pickup.GATED_OUT:
        return _("already picked up")
    if box.pickup is Pickup.NOT_DISCHARGED:
        return _("not discharged yet")
    if box.pickup is Pickup.HELD:
        holds = []
        if box.customs is Release.HELD:
            holds.append(_("customs hold"))
        if box.carrier is Release.HELD:
            holds.append(_("carrier hold"))
        if payment_hold:
            holds.append(_("payment hold: charges unpaid"))
        return _("held ({holds})").format(holds=format_list(holds, locale=locale))
    waiting = []
    if box.customs is Release.PENDING:
        waiting.append(_("customs release"))
    if box.carrier is Release.PENDING:
        waiting.append(_("carrier release"))
    return _("waiting for {releases}").format(releases=format_list(waiting, locale=locale))


def _numbers(numbers: list[str]) -> str:
    text = ", ".join(numbers[:_MAX_NUMBERS])
    if len(numbers) > _MAX_NUMBERS:
        text += " " + _("… and {count} more").format(count=len(numbers) - _MAX_NUMBERS)
    return text
