"""Every audience tries every command: what its menu offers works, everything else is refused politely.

The menus (bot/ui/menus.py) say what each role may do; the routers' filters enforce it. This matrix fails
when the two disagree in either direction.
"""

from __future__ import annotations

import pytest

import bot.ui.menus
from bot.ui.menus import CUSTOMER, menu_for
from portcrm.enums import Role
from portcrm.services.identity.users import Identity
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import RunningBot

REFUSED = "I don't know that command, or it is not available to you. Send /help to see what I can do."
CUSTOMER_COMMANDS = {name for name, _ in CUSTOMER}
AUDIENCES: dict[str, tuple[Role, ...] | None] = {
    "unlinked": None,
    "customer": (),
    "market": (Role.MARKET,),
    "operations": (Role.OPERATIONS,),
    "finance": (Role.FINANCE,),
    "manager": (Role.MANAGER,),
    "admin": (Role.ADMIN,),
}


def _all_commands() -> list[str]:
    names: list[str] = []
    for value in vars(bot.ui.menus).values():
        if isinstance(value, tuple) and value and all(isinstance(i, tuple) and len(i) == 2 for i in value):
            names += [name for name, _ in value if isinstance(name, str) and name not in names]
    return names


def _identity(user_id: int, roles: tuple[Role, ...] | None) -> Identity:
    if roles is None:
        return Identity(telegram_user_id=user_id, locale="en")
    if not roles:
        return Identity(telegram_user_id=user_id, locale="en", contact_id=1, customer_id=1)
    return Identity(telegram_user_id=user_id, locale="en", roles=frozenset(roles), staff_id=1)


@pytest.mark.parametrize("audience", list(AUDIENCES))
async def test_each_audience_may_use_exactly_what_its_menu_offers(app: RunningBot, audience: str) -> None:
    roles = AUDIENCES[audience]
    user_id = 9900 + list(AUDIENCES).index(audience)
    async with app.db.session() as session:
        if roles:
            await make_staff(session, telegram_user_id=user_id, roles=roles)
        elif roles == ():
            customer = await make_customer(session)
            await make_contact(session, customer, telegram_user_id=user_id)
        await session.commit()
    allowed = {name for name, _ in menu_for(_identity(user_id, roles))}
    user = app.user(user_id, language_code="en")
    commands = _all_commands()
    assert {"start", "help", "track", "whoami", "staff"} <= set(commands)
    for command in commands:
        reply = await app.say(user, f"/{command}")
        texts = reply.text or reply.caption or ""
        if audience == "unlinked" and command in CUSTOMER_COMMANDS:  # what it is for, and how to link
            assert texts.startswith(f"/{command} — "), texts[:80]
            assert "invite link" in texts, texts[:80]
            continue
        if command not in allowed:
            assert texts == REFUSED, f"{audience} is not offered /{command} but got: {texts[:80]}"
            continue
        assert texts != REFUSED, f"{audience} is offered /{command} but refused"
        # leave any conversation the command started, and let the rest of its messages (some commands
        # send pictures and files after their first reply) arrive before the next command
        await app.say_and_settle(user, "/cancel")
