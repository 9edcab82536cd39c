"""What the user is told when a command pauses a form, and when they take it up again or drop it."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.forms.kinds import kind_of


def _title(group: str) -> str:
    return str(kind_of(group).title)


def paused_note(group: str) -> str:
    return _(
        "⏸ Paused: {form}. Everything you entered is kept: press Continue to go on where you left off."
    ).format(form=_title(group))


def unfinished_offer(group: str) -> str:
    return _("You have an unfinished form: {form}. Continue where you left off, or start over?").format(
        form=_title(group)
    )


def back_to(group: str) -> str:
    return _("▶️ Back to: {form}.").format(form=_title(group))


def back_to_without_question(group: str) -> str:
    return _("▶️ Back to: {form}. Answer the last question above, or send /cancel to stop.").format(
        form=_title(group)
    )


def discarded(group: str) -> str:
    return _("🗑 Discarded: {form}.").format(form=_title(group))


def starting_over(group: str) -> str:
    return _("🔄 Starting over: {form}.").format(form=_title(group))
