"""What someone not yet linked to a customer is told about linking."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from bot.ui.menus import CUSTOMER


def how_to_link() -> list[str]:
    return [
        _("To use the customer service, open the invite link your account manager sends you."),
        _("If the port has your phone number on file, you can also press “Share my phone number”."),
    ]


def not_linked_yet(command: str) -> str:
    """A customer command asked for before linking: what it does, who it is for, how to get there."""
    purpose = dict(CUSTOMER)[command]
    lines = [
        f"/{command} — {html.escape(str(purpose))}",
        "",
        _("This is for the port's customers, once your Telegram account is linked to your company."),
        *how_to_link(),
    ]
    return "\n".join(lines)
