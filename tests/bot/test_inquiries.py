"""/ask through the real bot: the question relayed to staff, their answer relayed back, and the refusals."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from bot.ui.callbacks.inquiries import InquiryReply
from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.models import Inquiry, Notification
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

PASSED_TO_MANAGER = (
    "Thank you. Your question has been passed to your account manager {name}; the answer will come here."
)
PASSED_TO_MARKET = (
    "Thank you. Your question has been passed to our market department; the answer will come here."
)
SHORTEN = "Too long: {length} characters, the limit is {limit}. Please shorten it and send it again."


def _plain(source: str) -> str:
    """What Telegram shows of a message's HTML source."""
    return html.unescape(re.sub(r"<[^>]+>", "", source))


async def _company(app: RunningBot, contact_user_id: int, manager_id: int | None = None) -> None:
    async with app.db.session() as session:
        customer = await make_customer(session, name="宁波问询货代有限公司", account_manager_id=manager_id)
        await make_contact(session, customer, name="王芳", telegram_user_id=contact_user_id)
        await session.commit()


async def _inquiries(app: RunningBot) -> list[Inquiry]:
    async with app.db.session() as session:
        rows = list(await session.scalars(select(Inquiry).order_by(Inquiry.id)))
        await session.commit()
        return rows


async def test_a_question_reaches_the_account_manager_and_the_answer_comes_back(app: RunningBot) -> None:
    async with app.db.session() as session:
        manager = await make_staff(session, name="李经理", telegram_user_id=9501, roles=(Role.MARKET,))
        await make_staff(session, name="赵同事", telegram_user_id=9502, roles=(Role.MARKET,))
        await session.commit()
        manager_id = manager.id
    await _company(app, 9511, manager_id)
    staff, colleague = app.user(9501, language_code="en"), app.user(9502, language_code="en")
    customer = app.user(9511, language_code="zh-hans")
    await app.say(staff, "/start")
    colleague_message = await app.say(colleague, "/start")
    _zh, _en = gettext_for("zh_CN"), gettext_for("en")

    mark = app.sandbox.mark()
    question = "请问 <b>提箱</b> & 🚢 什么时候可以？"
    reply = await app.say(customer, f"/ask {question}")
    assert reply.text == _zh(PASSED_TO_MANAGER).format(name="李经理")
    alert = await app.sandbox.wait_for_reply(staff, after=mark, token=TOKEN)
    [inquiry] = await _inquiries(app)
    assert (inquiry.text, inquiry.staff_id, inquiry.answer) == (question, manager_id, None)
    assert question in alert.text, "shown as typed: the HTML was escaped"
    assert "宁波问询货代有限公司" in alert.text
    assert "王芳" in alert.text
    assert alert.buttons == [[(_en("Reply"), InquiryReply(inquiry_id=inquiry.id).pack())]]
    assert app.sandbox.replies(colleague, mark, token=TOKEN) == [], "the manager has it, not the department"

    update = app.sandbox.press_data(
        TOKEN, colleague, colleague_message, InquiryReply(inquiry_id=inquiry.id).pack()
    )
    refused = await app.sandbox.wait_for_answer(update)
    assert refused.show_alert
    assert refused.text == _en(
        "Sorry, this question was sent to another colleague, so only they can answer it."
    )

    prompt = await app.press(staff, alert, _en("Reply"))
    assert "王芳" in prompt.text
    mark = app.sandbox.mark()
    done = await app.say(staff, "明天上午 <i>9点</i> 可以提箱。")
    assert done.text == _en("Your answer has been sent to {contact} of {company}.").format(
        contact="王芳", company="宁波问询货代有限公司"
    )
    answer = await app.sandbox.wait_for_reply(customer, after=mark, token=TOKEN)
    assert answer.text.startswith(_plain(_zh("<b>Answer to your question</b>")))
    assert "明天上午 <i>9点</i> 可以提箱。" in answer.text
    assert question in answer.text
    assert answer.text.endswith(_zh("— {name}").format(name="李经理"))

    update = app.sandbox.press(TOKEN, staff, alert, _en("Reply"))
    again = await app.sandbox.wait_for_answer(update)
    assert again.text == _en("This question has already been answered by {name}.").format(name="李经理")
    [inquiry] = await _inquiries(app)
    assert (inquiry.answer, inquiry.answered_by_id) == ("明天上午 <i>9点</i> 可以提箱。", manager_id)


async def test_without_a_manager_the_next_message_goes_to_the_market_department(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, name="陈市场", telegram_user_id=9601, roles=(Role.MARKET,))
        await make_staff(session, name="Mark", telegram_user_id=9602, roles=(Role.MARKET,))
        await make_staff(session, name="钱财务", telegram_user_id=9603, roles=(Role.FINANCE,))
        await session.commit()
    await _company(app, 9611)
    market_tw, market_en = app.user(9601, language_code="zh-hant"), app.user(9602, language_code="en")
    finance = app.user(9603, language_code="en")
    for user in (market_tw, market_en):
        await app.say(user, "/start")
    finance_message = await app.say(finance, "/start")
    customer = app.user(9611, language_code="en")
    _en, _tw = gettext_for("en"), gettext_for("zh_TW")

    prompt = await app.say(customer, "/ask")
    assert "/cancel" in prompt.text
    cancelled = await app.say(customer, "/cancel")
    assert cancelled.text == "Cancelled. Nothing was sent."
    await app.say(customer, "/ask")
    mark = app.sandbox.mark()
    reply = await app.say(customer, "Can you store reefer containers for two weeks?")
    assert reply.text == PASSED_TO_MARKET
    alert_tw = await app.sandbox.wait_for_reply(market_tw, after=mark, token=TOKEN)
    alert_en = await app.sandbox.wait_for_reply(market_en, after=mark, token=TOKEN)
    assert alert_tw.text.startswith(_plain(_tw("<b>Question from a customer</b>")))
    assert "Can you store reefer containers" in alert_en.text
    assert app.sandbox.replies(finance, mark, token=TOKEN) == []
    [inquiry] = await _inquiries(app)

    update = app.sandbox.press_data(
        TOKEN, finance, finance_message, InquiryReply(inquiry_id=inquiry.id).pack()
    )
    refused = await app.sandbox.wait_for_answer(update)
    assert refused.text == _en(
        "Sorry, this question was sent to another colleague, so only they can answer it."
    )

    await app.press(market_en, alert_en, "Reply")
    await app.press(market_tw, alert_tw, _tw("Reply"))  # both asked; the first answer wins
    done = await app.say(market_en, "Yes, up to 30 days in the reefer yard.")
    assert done.text.startswith("Your answer has been sent")
    late = await app.say(market_tw, "可以。")
    assert late.text == _tw("This question has already been answered by {name}.").format(name="Mark")
    [inquiry] = await _inquiries(app)
    assert inquiry.answer == "Yes, up to 30 days in the reefer yard."


async def test_a_long_question_is_refused_and_a_shorter_one_accepted(app: RunningBot) -> None:
    async with app.db.session() as session:
        manager = await make_staff(session, telegram_user_id=9701)
        await session.commit()
        manager_id = manager.id
    await _company(app, 9711, manager_id)
    await app.say(app.user(9701, language_code="en"), "/start")
    customer = app.user(9711, language_code="zh-hans")
    _zh = gettext_for("zh_CN")

    refused = await app.say(customer, "/ask " + "长" * 3500)
    assert refused.text == _zh(SHORTEN).format(length=3500, limit=3000)
    assert await _inquiries(app) == []
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == 0
        await session.commit()
    accepted = await app.say(customer, "短一点的问题 😊")
    assert accepted.text.startswith(_zh(PASSED_TO_MANAGER).split("{")[0])
    assert [i.text for i in await _inquiries(app)] == ["短一点的问题 😊"]


async def test_ask_is_for_linked_customers_only(app: RunningBot) -> None:
    reply = await app.say(app.user(9801, language_code="en"), "/ask hello")
    assert reply.text.startswith("/ask — Ask your account manager a question")
    assert "invite link" in reply.text
    assert await _inquiries(app) == []
