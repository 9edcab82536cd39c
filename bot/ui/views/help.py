"""What the bot can do for this user: their menu, and for the unlinked how to link."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from bot.ui.menus import menu_for
from bot.ui.views.linking import how_to_link
from portcrm.services.identity.users import Identity


def help_text(identity: Identity) -> str:
    lines = [_("<b>What I can do for you</b>")]
    lines += [f"/{name} — {html.escape(str(description))}" for name, description in menu_for(identity)]
    if not (identity.is_customer or identity.is_staff):
        lines += ["", *how_to_link()]
    return "\n".join(lines)
