"""An admin executes a deletion request from its alert: the person is told, unlinked and erased everywhere."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.labels import ERASED_NAME
from portcrm.models import AuditEntry, Contact, PrivacyRequest
from portcrm.services.privacy.erasure import ERASED_NOTICE
from tests.conftest import REDIS_URL, requires_redis
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot, running_bot
from tests.services.test_privacy_erasure import every_row, traces_in_database

NAME, PHONE, EMAIL = "欧阳娜娜", "+8613912345678", "nana.ouyang@example.cn"
PERSON, ADMIN, MARKETER = 8201, 8211, 8213
INVALID = "This button is no longer valid."


@contextlib.asynccontextmanager
async def _bot(database_url: str, storage: str) -> AsyncIterator[RunningBot]:
    settings = {"redis_url": REDIS_URL} if storage == "redis" else {}
    async with running_bot(database_url, **settings) as app:
        yield app


async def _world(app: RunningBot) -> int:
    async with app.db.session() as session:
        customer = await make_customer(session, name="宁波擦除货代有限公司")
        contact = await make_contact(
            session, customer, name=NAME, phone=PHONE, email=EMAIL, telegram_user_id=PERSON
        )
        await make_staff(session, telegram_user_id=ADMIN, roles=(Role.ADMIN,))
        await make_staff(session, telegram_user_id=MARKETER, roles=(Role.MARKET,))
        await session.commit()
        return contact.id


async def _form_state(app: RunningBot) -> str | None:
    """The person's conversation state, None once both its state and its data are gone."""
    key = StorageKey(bot_id=app.bot.id, chat_id=PERSON, user_id=PERSON)
    state, data = await app.dispatcher.storage.get_state(key), await app.dispatcher.storage.get_data(key)
    assert (state is None) == (data == {}), (state, data)
    return state


@pytest.mark.parametrize("storage", ["database", pytest.param("redis", marks=requires_redis)])
async def test_an_admin_erases_a_person_from_the_alert(database_url: str, storage: str) -> None:
    async with _bot(database_url, storage) as app:
        contact_id = await _world(app)
        admin, marketer = app.user(ADMIN), app.user(MARKETER)
        person = app.user(PERSON, first_name="Nana", language_code="en")
        await app.say(admin, "/start")
        marketer_start = await app.say(marketer, "/start")
        mark = app.sandbox.mark()

        screen = await app.say(person, "/privacy")
        confirm = await app.press(person, screen, "Request deletion of my data")
        await app.press(person, confirm, "Yes, request deletion")
        alert = await app.sandbox.wait_for_reply(admin, after=mark, token=TOKEN)
        assert NAME in (alert.text or "")
        [[(label, data)]] = alert.buttons
        assert label == "Erase personal data"
        assert len(data.encode()) <= 64
        # meanwhile the person starts a complaint and leaves it half-filled
        complaint = await app.say(person, "/complaint")
        await app.press(person, complaint, 0)
        assert (await _form_state(app) or "").startswith("ComplaintForm:")

        # neither the person nor a marketer can execute it, whatever callback data they forge
        request_id = int(data.split(":")[1])
        for user, message in ((person, screen), (marketer, marketer_start)):
            for forged in (data, f"perx:{request_id}:1"):
                answer = await app.sandbox.wait_for_answer(
                    app.sandbox.press_data(TOKEN, user, message, forged)
                )
                assert answer.text == INVALID, (user.id, forged)
        async with app.db.session() as session:
            contact = await session.get(Contact, contact_id)
            await session.commit()
        assert contact is not None
        assert (contact.name, contact.erased_at) == (NAME, None)

        asked = app.sandbox.press(TOKEN, admin, alert, "Erase personal data")
        question = await app.sandbox.wait_for_reply(admin, after=asked, token=TOKEN)
        assert NAME not in (question.text or ""), "the confirming press must not carry the name"
        assert f"contact #{contact_id}" in (question.text or "")
        await app.handled(asked)
        mark = app.sandbox.mark()
        done = await app.press(admin, question, "Yes, erase")
        assert (done.text or "").startswith(f"Done: the personal data of contact #{contact_id} was erased")
        assert f"listed as “Erased contact #{contact_id}”" in (done.text or ""), "in words"
        notice = await app.sandbox.wait_for_reply(person, after=mark, token=TOKEN)
        assert notice.text == gettext_for("en")(ERASED_NOTICE)
        await app.settled()

        async with app.db.session() as session:
            contact = await session.get(Contact, contact_id)
            request = await session.scalar(select(PrivacyRequest))
            erasures = await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "erase")
            )
            await session.commit()
            left = traces_in_database(await every_row(session), (NAME, PHONE, EMAIL, "Nana"))
        assert contact is not None
        assert (contact.telegram_user_id, contact.name) == (None, ERASED_NAME.format(id=contact_id))
        assert request is not None
        assert request.handled_at is not None
        assert erasures == 1
        assert left == []
        assert await _form_state(app) is None

        # the person is a stranger now: no privacy screen, no half-filled complaint to continue
        again = await app.say(person, "/privacy")
        assert "Name:" not in (again.text or "")
        # the alert's button, pressed again, finds the request handled
        answer = await app.sandbox.wait_for_answer(
            app.sandbox.press(TOKEN, admin, alert, "Erase personal data")
        )
        assert answer.text == "That deletion request has already been handled."


async def test_cancelling_the_erasure_changes_nothing(app: RunningBot) -> None:
    contact_id = await _world(app)
    admin, person = app.user(ADMIN), app.user(PERSON, language_code="en")
    await app.say(admin, "/start")
    mark = app.sandbox.mark()
    screen = await app.say(person, "/privacy")
    await app.press(
        person, await app.press(person, screen, "Request deletion of my data"), "Yes, request deletion"
    )
    await app.sandbox.wait_for_reply(admin, after=mark, token=TOKEN)

    listed = await app.say(admin, "/privacy_requests")
    assert NAME in (listed.text or "")
    question = await app.press(admin, listed, 0)
    cancelled = await app.press(admin, question, "Cancel")
    assert cancelled.text == "Cancelled. Nothing was erased."
    async with app.db.session() as session:
        contact = await session.get(Contact, contact_id)
        request = await session.scalar(select(PrivacyRequest))
        await session.commit()
    assert contact is not None
    assert (contact.name, contact.telegram_user_id, contact.erased_at) == (NAME, PERSON, None)
    assert request is not None
    assert request.handled_at is None
    assert (await app.say(admin, "/privacy_requests")).buttons == listed.buttons
