"""Bugs the fuzzer found, each pinned by the smallest conversation that showed it."""

from __future__ import annotations

from aiogram.types import BufferedInputFile, KeyboardButton, ReplyKeyboardMarkup

from bot.ui.callbacks.invites import InviteContact
from portcrm.enums import Role
from sandbox import tiny_png
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, running_bot


async def test_a_huge_query_quoted_back_in_an_error_still_fits_one_message(database_url: str) -> None:
    """A 5000-character customer query in /visit was quoted whole in "No customer matches …": Telegram
    refused the reply as too long, the error handler's reply failed too, and the user heard nothing."""
    async with running_bot(database_url, default_locale="en") as app:
        async with app.db.session() as session:
            await make_staff(session, telegram_user_id=8801)
            await session.commit()
        user = app.user(8801, language_code="en")
        await app.say_and_settle(user, "/visit")
        query = "Zq" * 2500
        reply = await app.say(user, query)
        assert reply.text is not None
        assert reply.text.startswith("No customer matches Zq")
        assert "…" in reply.text
        assert len(reply.text) < 200


async def test_a_button_pressed_on_a_photo_answers_with_a_new_message(database_url: str) -> None:
    """Callback data is the client's to choose, and so is the message it comes from: an invite-contact
    payload sent from a photo made the handler edit a text the photo does not have, an incident."""
    async with running_bot(database_url, default_locale="en") as app:
        async with app.db.session() as session:
            await make_staff(session, telegram_user_id=8802, roles=(Role.MARKET,))
            contact = await make_contact(session, await make_customer(session, name="Photo Press Ltd"))
            await session.commit()
        user = app.user(8802, language_code="en")
        await app.say_and_settle(user, "/start")
        photo = await app.bot.send_photo(user.id, BufferedInputFile(tiny_png(), "chart.png"))
        mark = app.sandbox.mark()
        press = app.sandbox.press_data(
            TOKEN, user, photo.message_id, InviteContact(contact_id=contact.id).pack()
        )
        answer = await app.sandbox.wait_for_answer(press)
        reply = await app.sandbox.wait_for_reply(user, after=mark)
        assert answer.text is None
        assert reply.message_id != photo.message_id
        assert reply.text is not None
        assert "One-time invite link" in reply.text
        assert "Photo Press Ltd" in reply.text


async def test_a_button_pressed_on_a_message_with_a_reply_keyboard_answers_with_a_new_message(
    database_url: str,
) -> None:
    """Found by the 11,800-update campaign: a payload sent from a message carrying a reply keyboard made
    the handler's edit fail with "message can't be edited", an incident, and the apology came too late."""
    async with running_bot(database_url, default_locale="en") as app:
        async with app.db.session() as session:
            await make_staff(session, telegram_user_id=8803, roles=(Role.MARKET,))
            contact = await make_contact(session, await make_customer(session, name="Keyboard Press Ltd"))
            await session.commit()
        user = app.user(8803, language_code="en")
        await app.say_and_settle(user, "/start")
        keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Share", request_contact=True)]])
        shown = await app.bot.send_message(user.id, "Share your number", reply_markup=keyboard)
        mark = app.sandbox.mark()
        press = app.sandbox.press_data(
            TOKEN, user, shown.message_id, InviteContact(contact_id=contact.id).pack()
        )
        await app.sandbox.wait_for_answer(press)
        reply = await app.sandbox.wait_for_reply(user, after=mark)
        assert reply.message_id != shown.message_id
        assert reply.text is not None
        assert "Keyboard Press Ltd" in reply.text
