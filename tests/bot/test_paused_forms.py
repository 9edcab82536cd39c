"""A command in the middle of a form leaves the form, paused, and the form can be taken up again.

Regression for issue 17, item 1: /complaint → category → /privacy → "hello" took "hello" as the complaint.
"""

from __future__ import annotations

import re

import pytest
from aiogram.fsm.state import StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from bot.forms.kinds import KINDS
from bot.forms.paused import shelf_key
from bot.handlers import build_root_router
from bot.handlers.staff.privacy import forget_conversations
from portcrm.enums import ComplaintCategory, Role
from portcrm.i18n import gettext_for
from portcrm.models import Complaint, Lead
from sandbox import SandboxUser, SentMessage
from tests.conftest import REDIS_URL, requires_redis
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot, running_bot

DESCRIBE = "Please describe the problem: what happened, when, and what you expect from us."
PAUSED = "⏸ Paused: {form}. Everything you entered is kept: press Continue to go on where you left off."
OFFER = "You have an unfinished form: {form}. Continue where you left off, or start over?"
BACK = "▶️ Back to: {form}."
LOCALES = [("zh-hans", "zh_CN"), ("en", "en")]


async def _customer(app: RunningBot, user_id: int) -> None:
    async with app.db.session() as session:
        customer = await make_customer(session, name=f"宁波暂停货代{user_id}")
        await make_contact(session, customer, name="王芳", telegram_user_id=user_id)
        await session.commit()


async def _settled(app: RunningBot, user: SandboxUser, text: str) -> list[SentMessage]:
    return await app.say_and_settle(user, text)


async def _press(app: RunningBot, user: SandboxUser, message: SentMessage, button: str) -> list[SentMessage]:
    """Press a button and return every message of the chat sent or changed since."""
    mark = app.sandbox.mark()
    update = app.sandbox.press(TOKEN, user, message, button)
    await app.handled(update)
    await app.sandbox.wait_idle(quiet=0.1)
    return app.sandbox.replies(user, mark, token=TOKEN)


async def _complaints(app: RunningBot) -> list[Complaint]:
    async with app.db.session() as session:
        rows = list(await session.scalars(select(Complaint).order_by(Complaint.id)))
        await session.commit()
    return rows


def _with_button(messages: list[SentMessage], label: str) -> SentMessage:
    return next(m for m in messages if any(text == label for row in m.buttons for text, _data in row))


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


@pytest.mark.parametrize(("language_code", "locale"), LOCALES)
async def test_a_command_in_a_form_runs_and_the_form_waits_with_what_was_typed(
    app: RunningBot, language_code: str, locale: str
) -> None:
    await _customer(app, 8301)
    user = app.user(8301, language_code=language_code)
    _ = gettext_for(locale)
    form = _("New complaint")
    ask = await app.say(user, "/complaint")
    [describe] = [m for m in await _press(app, user, ask, _("Billing")) if m.message_id != ask.message_id]
    assert describe.text == _(DESCRIBE)

    replies = await _settled(app, user, "/privacy")
    hello = await _settled(app, user, "hello")
    files_prompt = _(
        "You can add up to {limit} photos or documents (for example of the damage or the papers). "
        "Send them now, or press Skip."
    ).format(limit=5)
    assert files_prompt not in [m.text for m in hello], "hello is not the complaint's description"
    assert [m.text for m in hello] == [_("Sorry, I didn't understand that. Send /help to see what I can do.")]
    note, privacy = replies
    assert note.text == _(PAUSED).format(form=form)
    assert [label for row in note.buttons for label, _data in row] == [_("▶️ Continue"), _("🗑 Discard")]
    assert privacy.text is not None, "the command ran"
    assert "王芳" in privacy.text
    assert await _complaints(app) == []

    resumed = await _press(app, user, note, _("▶️ Continue"))
    assert [m.text for m in resumed] == [_(BACK).format(form=form), _(DESCRIBE)]
    files = await app.say(user, "发票金额多收了 <b>200</b> 元")
    summary = _with_button(await _press(app, user, files, _("Skip")), _("Submit"))
    await _press(app, user, summary, _("Submit"))
    [complaint] = await _complaints(app)
    assert (complaint.category, complaint.description) == (
        ComplaintCategory.BILLING,
        "发票金额多收了 <b>200</b> 元",
    )
    assert (resumed[0].message_id, resumed[0].buttons) == (note.message_id, []), "the note, settled"
    again = app.sandbox.press_data(TOKEN, user, note, note.buttons[0][0][1])  # an old client's press
    refused = await app.sandbox.wait_for_answer(again)
    assert (refused.text, refused.show_alert) == (_("This button is no longer valid."), True)
    if locale != "en":
        assert _(PAUSED) != PAUSED, f"{locale} has no translation"


@pytest.mark.parametrize(("language_code", "locale"), LOCALES)
async def test_the_forms_own_command_offers_to_continue_or_start_over(
    app: RunningBot, language_code: str, locale: str
) -> None:
    await _customer(app, 8302)
    user = app.user(8302, language_code=language_code)
    _ = gettext_for(locale)
    form = _("New complaint")
    ask = await app.say(user, "/complaint")
    await _press(app, user, ask, _("Delay"))
    [offer] = await _settled(app, user, "/complaint")
    assert offer.text == _(OFFER).format(form=form)
    assert [label for row in offer.buttons for label, _data in row] == [_("▶️ Continue"), _("🔄 Start over")]

    continued = await _press(app, user, offer, _("▶️ Continue"))
    assert [m.text for m in continued] == [_(BACK).format(form=form), _(DESCRIBE)]
    [again] = await _settled(app, user, "/complaint")
    assert again.text == _(OFFER).format(form=form)
    restarted = await _press(app, user, again, _("🔄 Start over"))
    assert restarted[0].text == _("🔄 Starting over: {form}.").format(form=form)
    first_question = restarted[-1]
    assert first_question.text is not None
    assert first_question.text.startswith(_plain(_("<b>New complaint</b>\nWhat is it about?")))
    note, _help = await _settled(app, user, "/help")
    again_asked = (await _press(app, user, note, _("▶️ Continue")))[-1]
    assert (again_asked.text, again_asked.buttons) == (first_question.text, first_question.buttons)
    describe = [m for m in await _press(app, user, again_asked, _("Other")) if m.text == _(DESCRIBE)]
    assert describe, "the fresh form goes on as usual"
    await _settled(app, user, "港区道路拥堵")
    assert await _complaints(app) == []


async def test_cancel_still_cancels_and_discard_drops_the_paused_form(app: RunningBot) -> None:
    await _customer(app, 8303)
    user = app.user(8303, language_code="en")
    ask = await app.say(user, "/complaint")
    [cancelled] = await _settled(app, user, "/cancel")
    assert cancelled.text == "Complaint cancelled. Nothing was sent."
    await app.say(user, "/complaint")
    note, _help = await _settled(app, user, "/help")
    assert note.text == PAUSED.format(form="New complaint")
    dropped = await _press(app, user, note, "🗑 Discard")
    assert [m.text for m in dropped] == ["🗑 Discarded: New complaint."]
    fresh = await _settled(app, user, "/complaint")
    assert fresh[0].text is not None
    assert fresh[0].text.startswith("New complaint\nWhat is it about?"), "nothing left to offer"
    assert ask.message_id < fresh[0].message_id


async def test_cancel_with_no_form_open_discards_the_paused_ones(app: RunningBot) -> None:
    """Fault campaign: /cancel answered "nothing to cancel" while /complaint kept offering the paused form,
    and a person who wanted out went round in circles."""
    await _customer(app, 8306)
    user = app.user(8306, language_code="zh-hans")
    _ = gettext_for("zh_CN")
    await app.say(user, "/complaint")
    await _settled(app, user, "/help")  # the form paused
    [dropped] = await _settled(app, user, "/cancel")
    assert dropped.text == _("🗑 Discarded: {form}.").format(form=_("New complaint"))
    [nothing] = await _settled(app, user, "/cancel")
    assert nothing.text == _("There is nothing to cancel.")
    fresh = await _settled(app, user, "/complaint")
    assert [m.text for m in fresh] != [_(OFFER).format(form=_("New complaint"))], "nothing left to offer"
    assert (fresh[0].text or "").startswith(_plain(_("<b>New complaint</b>\nWhat is it about?")))


async def test_a_button_of_the_paused_question_resumes_the_form_and_is_its_answer(app: RunningBot) -> None:
    """Fault campaign: a second /complaint put the form aside just after its first question came; the
    category pressed on that question was called no longer valid, again and again."""
    await _customer(app, 8307)
    user = app.user(8307, language_code="en")
    ask = await app.say(user, "/complaint")
    [offer] = await _settled(app, user, "/complaint")
    assert offer.text == OFFER.format(form="New complaint")
    answered = await _press(app, user, ask, "Billing")
    assert DESCRIBE in [m.text for m in answered], "the press was the category question's answer"
    await _settled(app, user, "The invoice doubled the storage days")
    stale = await _press(app, user, offer, "▶️ Continue")
    assert "▶️ Back to: New complaint." not in [m.text for m in stale], "nothing paused any more"


@pytest.mark.parametrize("storage", ["database", pytest.param("redis", marks=requires_redis)])
@pytest.mark.parametrize(("language_code", "locale"), LOCALES)
async def test_a_staff_form_asks_its_question_again_with_its_buttons(
    database_url: str, storage: str, language_code: str, locale: str
) -> None:
    settings = {"redis_url": REDIS_URL} if storage == "redis" else {}
    async with running_bot(database_url, **settings) as app:
        key = StorageKey(bot_id=app.bot.id, chat_id=8311, user_id=8311)
        for conversation in (key, shelf_key(key)):  # Redis outlives a test: start from nothing
            await app.dispatcher.storage.set_state(conversation, None)
            await app.dispatcher.storage.set_data(conversation, {})
        await _lead_paused_and_resumed(app, language_code, locale)


async def _lead_paused_and_resumed(app: RunningBot, language_code: str, locale: str) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=8311, roles=(Role.MARKET,))
        await session.commit()
    user = app.user(8311, language_code=language_code)
    _ = gettext_for(locale)
    form = _("New lead")
    await app.say(user, "/lead")
    kind = await app.say(user, "宁波新航线物流有限公司")
    assert kind.text == _("What kind of company is it?")
    note, today = await _settled(app, user, "/today")
    assert note.text == _(PAUSED).format(form=form)
    assert today.text is not None
    await app.say(user, "/visit")  # another form, open when the lead's command comes
    visit_note, offer = await _settled(app, user, "/lead")
    assert visit_note.text == _(PAUSED).format(form=_("Visit log"))
    assert offer.text == _(OFFER).format(form=form), "offered, not restarted"
    resumed = await _press(app, user, offer, _("▶️ Continue"))
    assert [m.text for m in resumed] == [_(BACK).format(form=form), kind.text]
    question = resumed[-1]
    assert question.buttons == kind.buttons, "asked again as it was, buttons and all"
    source = await _press(app, user, question, question.buttons[0][0][0])
    assert _("Where did the lead come from?") in [m.text for m in source], "the buttons work again"
    async with app.db.session() as session:
        assert list(await session.scalars(select(Lead))) == []
        await session.commit()


async def test_erasing_a_person_empties_their_paused_forms_too(app: RunningBot) -> None:
    await _customer(app, 8304)
    user = app.user(8304, language_code="en")
    await app.say(user, "/complaint")
    await _settled(app, user, "/help")
    key = StorageKey(bot_id=app.bot.id, chat_id=8304, user_id=8304)
    assert await app.dispatcher.storage.get_data(shelf_key(key)) != {}
    await forget_conversations(app.dispatcher.storage, app.bot, [8304])
    assert await app.dispatcher.storage.get_data(shelf_key(key)) == {}
    fresh = await app.say(user, "/complaint")
    assert fresh.text is not None
    assert fresh.text.startswith("New complaint\nWhat is it about?")


def test_every_form_has_a_name_for_its_pause_note() -> None:
    build_root_router()  # imports every handler module, and with them every form's states group
    groups = {group.__full_group_name__ for group in _all(StatesGroup)}
    assert groups, "no forms found"
    assert groups <= set(KINDS), f"forms without a name: {sorted(groups - set(KINDS))}"


def _all(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all(sub)]
    return found
