"""The texts of visits: a saved visit, the photos prompt, and /today's revisits."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from portcrm.labels import CONTACT_METHOD_NAMES
from portcrm.models import Visit
from portcrm.services.care.revisits import DueRevisit
from portcrm.services.care.visits import MAX_PHOTOS, PHOTOS_FOOTER, MarketerRevisits
from portcrm.services.complaints.notices import clip

TODAY_LINES = 30  # revisits listed by /today, as many as fit in one message
_BUDGET = 3900  # of the 4096 characters a message holds, leaving room for "… and N more"


def photos_prompt(count: int) -> str:
    if count == 0:
        return _(
            "You can add up to {limit} photos (business cards, the site). Send them now, or press Save."
        ).format(limit=MAX_PHOTOS)
    return _("Received {count} of at most {limit} photos. Send more, or press Save.").format(
        count=count, limit=MAX_PHOTOS
    )


def saved_text(visit: Visit, customer_name: str) -> str:
    """What was saved, escaped, within one message (notes clipped; the photo footer is counted, not shown)."""
    notes, _sep, photos = visit.notes.partition("\n\n" + PHOTOS_FOOTER + "\n")
    lines = [
        _("<b>Visit saved</b>"),
        _("Customer: {customer}").format(customer=html.escape(customer_name)),
        _("Method: {method}").format(method=_(CONTACT_METHOD_NAMES[visit.method])),
        _("Next revisit: {date}").format(
            date=visit.next_revisit_on.isoformat() if visit.next_revisit_on else "—"
        ),
    ]
    if visit.outcome:
        lines.append(_("Outcome: {outcome}").format(outcome=html.escape(clip(visit.outcome, 500))))
    if visit.latitude is not None and visit.longitude is not None:
        lines.append(_("Location: {lat:.5f}, {lon:.5f}").format(lat=visit.latitude, lon=visit.longitude))
    if photos:
        lines.append(_("Photos: {count}").format(count=len(photos.splitlines())))
    lines += ["", html.escape(clip(notes, 2500))]
    return "\n".join(lines)


def _revisit_line(revisit: DueRevisit) -> str:
    if revisit.days_overdue == 0:
        due = _("due today")
    else:
        due = ngettext("{days} day overdue", "{days} days overdue", revisit.days_overdue).format(
            days=revisit.days_overdue
        )
    last = (
        _("last visit {date}").format(date=revisit.last_visit_on.isoformat())
        if revisit.last_visit_on
        else _("never visited")
    )
    name = html.escape(clip(revisit.customer_name, 60))
    line = f"• <b>{name}</b> · {revisit.grade.value} · {due} · {last}"
    if revisit.verifies:
        line += " · " + _verifying(revisit.verifies)
    return line


def _verifying(tickets: tuple[str, ...]) -> str:
    """Why a revisit is due early: a closed complaint's corrective action to verify (the first named)."""
    if len(tickets) == 1:
        return _("verify the corrective action of {ticket}").format(ticket=tickets[0])
    more = len(tickets) - 1
    return ngettext(
        "verify the corrective action of {ticket} and {count} more complaint",
        "verify the corrective action of {ticket} and {count} more complaints",
        more,
    ).format(ticket=tickets[0], count=more)


def today_text(groups: list[MarketerRevisits], *, grouped: bool) -> str:
    """At most TODAY_LINES revisits, as many as fit in one message, then "… and N more"
    (bot/ui/keyboards/visits.py: their buttons)."""
    total = sum(len(g.revisits) for g in groups)
    if total == 0:
        return _("No revisits are due today.")
    lines = [_("<b>Revisits due today and overdue</b> ({count})").format(count=total)]
    shown, size = 0, len(lines[0])
    for group in (g for g in groups if g.revisits):
        heading = ["", f"<b>{html.escape(_group_name(group))}</b>"] if grouped else []
        for revisit in group.revisits:
            block = [*heading, _revisit_line(revisit)]
            size += sum(len(text) + 1 for text in block)
            if shown >= TODAY_LINES or size > _BUDGET:
                break
            lines += block
            heading, shown = [], shown + 1
    if total > shown:
        lines.append(_("… and {count} more").format(count=total - shown))
    return "\n".join(lines)


def _group_name(group: MarketerRevisits) -> str:
    return group.staff_name or _("No account manager")
