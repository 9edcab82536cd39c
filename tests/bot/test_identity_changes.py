"""Identities are kept between updates (portcrm/services/identity/known.py): a change made anywhere, by
another process as much as by the bot, is seen by the user's next update."""

from __future__ import annotations

from sqlalchemy import delete, update

from bot.ui.callbacks.common import LanguageChoice
from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.models import Contact, Staff, StaffRole
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer, make_shipment, make_staff
from tests.harness import TOKEN, RunningBot

NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."


async def test_a_staff_record_deactivated_elsewhere_is_refused_at_the_next_update(app: RunningBot) -> None:
    async with app.db.session() as session:
        staff = await make_staff(session, telegram_user_id=3301, name="王运营", roles=(Role.OPERATIONS,))
        await session.commit()
    user = app.user(3301, language_code="en")
    assert "王运营" in (await app.say(user, "/whoami")).text
    assert "王运营" in (await app.say(user, "/whoami")).text  # kept, and still true
    other_process = Database(app.settings.database_url)
    async with other_process.session() as session:
        await session.execute(update(Staff).where(Staff.id == staff.id).values(active=False))
        await session.commit()
    await other_process.dispose()
    assert (await app.say(user, "/whoami")).text == NOT_AVAILABLE


async def test_a_role_given_elsewhere_opens_its_commands_at_the_next_update(app: RunningBot) -> None:
    async with app.db.session() as session:
        staff = await make_staff(session, telegram_user_id=3302, roles=(Role.MARKET,))
        await session.commit()
    user = app.user(3302, language_code="en")
    assert gettext_for("en")("Finance department") not in (await app.say(user, "/whoami")).text
    other_process = Database(app.settings.database_url)
    async with other_process.session() as session:
        await session.execute(delete(StaffRole).where(StaffRole.staff_id == staff.id))
        session.add(StaffRole(staff_id=staff.id, role=Role.FINANCE))
        await session.commit()
    await other_process.dispose()
    assert gettext_for("en")("Finance department") in (await app.say(user, "/whoami")).text


async def test_a_contact_unlinked_elsewhere_sees_no_more_of_its_company_s_cargo(app: RunningBot) -> None:
    async with app.db.session() as session:
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=3303)
        shipment = await make_shipment(session, customer, bl_number="OOLU2741538961")
        await session.commit()
    user = app.user(3303, language_code="en")
    assert "OOLU2741538961" in (await app.say(user, "/track OOLU2741538961")).text
    other_process = Database(app.settings.database_url)
    async with other_process.session() as session:
        await session.execute(
            update(Contact).where(Contact.telegram_user_id == 3303).values(telegram_user_id=None)
        )
        await session.commit()
    await other_process.dispose()
    reply = await app.say(user, "/track OOLU2741538961")
    assert "OOLU2741538961" not in reply.text, f"shipment {shipment.id} shown to a user no longer linked"


async def test_a_language_chosen_in_chat_answers_the_very_next_update(app: RunningBot) -> None:
    """The choice and the next message sent together: the message waits its turn, and is read in the new
    language, though the identity was kept in the old one."""
    user = app.user(3304, language_code="en")
    assert (await app.say(user, "/whoami")).text == NOT_AVAILABLE
    menu = await app.say(user, "/language")
    mark = app.sandbox.mark()
    app.sandbox.press_data(TOKEN, user, menu, LanguageChoice(locale="zh_TW").pack())
    asked = app.sandbox.send_text(TOKEN, user, "/whoami")
    await app.handled(asked)  # its reply is sent before it is marked handled
    replies = [message.text for message in app.sandbox.replies(user, mark, token=TOKEN)]
    assert replies[-1] == gettext_for("zh_TW")(NOT_AVAILABLE)
