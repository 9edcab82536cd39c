"""Refusals that read otherwise than the plain reply, as their handlers' flags say (bot/handlers/errors.py):
the form left or kept, the reason in place of a confirmation or sent to the chat, a keyboard with it."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from portcrm.enums import CustomerType, LeadSource, Role
from portcrm.i18n import gettext_for
from portcrm.labels import CUSTOMER_TYPE_NAMES
from portcrm.services.archive.fields import CONTACT_FIELDS, field_label
from portcrm.services.development.leads import LeadDraft, create_lead
from sandbox import SandboxUser
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

MARKET, COLLEAGUE, CUSTOMER, STRANGER = 7601, 7602, 7611, 7621


async def _state(app: RunningBot, user: SandboxUser) -> str | None:
    return await app.dispatcher.storage.get_state(
        StorageKey(bot_id=app.bot.id, chat_id=user.id, user_id=user.id)
    )


async def _archive(app: RunningBot) -> None:
    async with app.db.session() as session:
        manager = await make_staff(session, telegram_user_id=MARKET, roles=(Role.MARKET,))
        customer = await make_customer(
            session, code="NBR100", name="宁波拒绝货代", account_manager_id=manager.id
        )
        await make_contact(session, customer, name="李娜")
        await make_contact(session, customer, name="周强", is_primary=False)
        await session.commit()


async def test_a_refused_invite_link_leaves_the_phone_button(app: RunningBot) -> None:
    user = app.user(STRANGER, language_code="en")
    reply = await app.say(user, "/start nosuchinvite")
    assert reply.text == gettext_for("en")(
        "This invite link is not valid. Please ask your account manager for a new one."
    )
    assert reply.reply_markup is not None
    assert reply.reply_markup["keyboard"][0][0]["request_contact"] is True


async def test_an_answer_to_a_question_answered_meanwhile_ends_the_form(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, name="陈市场", telegram_user_id=MARKET, roles=(Role.MARKET,))
        await make_staff(session, name="Mark", telegram_user_id=COLLEAGUE, roles=(Role.MARKET,))
        customer = await make_customer(session, name="宁波问询货代")
        await make_contact(session, customer, telegram_user_id=CUSTOMER)
        await session.commit()
    late, first = app.user(MARKET, language_code="en"), app.user(COLLEAGUE, language_code="en")
    for user in (late, first):
        await app.say(user, "/start")
    mark = app.sandbox.mark()
    await app.say(app.user(CUSTOMER, language_code="en"), "/ask Any reefer plugs free?")
    alerts = [await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN) for user in (late, first)]
    for user, alert in zip((late, first), alerts, strict=True):
        await app.press(user, alert, "Reply")
    await app.say(first, "Yes, twelve.")
    refused = await app.say(late, "Yes, ten.")
    assert refused.text == "This question has already been answered by Mark."
    assert await _state(app, late) is None, "nothing is left to answer: the form is over"


async def test_a_refused_confirmation_says_why_in_its_place(app: RunningBot) -> None:
    await _archive(app)
    user = app.user(MARKET, language_code="en")
    listing = await app.say(user, "/contact NBR100")
    fields = await app.press(user, listing, "李娜")
    await app.press(user, fields, gettext_for("en")(field_label(CONTACT_FIELDS["name"])))
    confirm = await app.say(user, "周强")
    edited = await app.press(user, confirm, "Confirm")
    assert edited.message_id == confirm.message_id
    assert edited.text == "This customer already has a contact named 周强."
    assert edited.buttons == []


async def test_a_contact_refused_for_good_ends_the_form_and_a_bad_value_keeps_it(app: RunningBot) -> None:
    await _archive(app)
    user = app.user(MARKET, language_code="en")
    listing = await app.say(user, "/contact NBR100")
    await app.press(user, listing, "Add contact")
    await app.say(user, "周强")
    bad = await app.say(user, "12")
    assert bad.text == "Invalid phone number: 12"
    assert await _state(app, user) is not None, "the corrected value may come next"
    refused = await app.say(user, "13800138000")
    assert refused.text == "This customer already has a contact named 周强."
    assert await _state(app, user) is None


async def test_a_button_answered_before_the_refusal_gets_the_reason_as_a_message(app: RunningBot) -> None:
    async with app.db.session() as session:
        staff = await make_staff(session, telegram_user_id=MARKET, roles=(Role.MARKET,))
        await make_customer(session, code="TAKEN9")
        await create_lead(session, staff.id, LeadDraft("Untyped Co", LeadSource.ONLINE))
        await session.commit()
    user = app.user(MARKET, language_code="en")
    listing = await app.say(user, "/leads")
    card = await app.press(user, listing, 0)
    await app.press(user, card, "Convert to customer")
    kinds = await app.say(user, "TAKEN9")
    mark = app.sandbox.mark()
    label = gettext_for("en")(CUSTOMER_TYPE_NAMES[CustomerType.FORWARDER])
    answer = await app.sandbox.wait_for_answer(app.sandbox.press(TOKEN, user, kinds, label))
    await app.settled()
    assert (answer.text, answer.show_alert) == (None, False), "answered once, before the service was asked"
    refused = app.sandbox.replies(user, mark, token=TOKEN)[-1]
    assert refused.message_id != kinds.message_id
    assert refused.text == "The customer code TAKEN9 is already taken."
