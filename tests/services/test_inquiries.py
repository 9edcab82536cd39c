"""/ask questions: who gets them, who may answer, and the messages that carry them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import InvalidInput
from portcrm.i18n import gettext_for
from portcrm.models import ChatUser, Contact, Customer, Inquiry, Notification, Staff
from portcrm.services.care.inquiries import (
    AlreadyAnswered,
    NotYourInquiry,
    answer_inquiry,
    clip_units,
    submit_inquiry,
    utf16_len,
)
from tests.factories import make_contact, make_customer, make_staff


async def _notifications(session: AsyncSession) -> list[Notification]:
    rows = list(await session.scalars(select(Notification).order_by(Notification.id)))
    await session.commit()
    return rows


async def _company(session: AsyncSession, manager: Staff | None, telegram_user_id: int) -> Contact:
    customer = await make_customer(
        session, name="宁波问询货代有限公司", account_manager_id=manager.id if manager else None
    )
    contact = await make_contact(session, customer, name="王芳", telegram_user_id=telegram_user_id)
    await session.commit()
    return contact


def test_clipping_counts_emoji_as_two_units_as_telegram_does() -> None:
    assert clip_units("abc", 3) == "abc"
    assert clip_units("abcd", 3) == "ab…"
    clipped = clip_units("🚢" * 10, 7)
    assert clipped == "🚢🚢🚢…"
    assert utf16_len(clipped) == 7


async def test_a_question_goes_to_the_account_manager_in_their_language(session: AsyncSession) -> None:
    manager = await make_staff(session, name="李经理", telegram_user_id=8101, roles=(Role.MARKET,))
    await make_staff(session, telegram_user_id=8102, roles=(Role.MARKET,))
    session.add(ChatUser(telegram_user_id=8101, locale="en"))
    contact = await _company(session, manager, 8111)
    sent = await submit_inquiry(
        session, contact.customer_id, contact.id, "<b>提箱</b> 🚢 & more", default_locale="zh_CN"
    )
    assert sent.account_manager == "李经理"
    assert sent.inquiry.staff_id == manager.id
    [alert] = await _notifications(session)
    assert (alert.chat_id, alert.idempotency_key) == (8101, f"inquiry:{sent.inquiry.id}:{manager.id}")
    assert "&lt;b&gt;提箱&lt;/b&gt; 🚢 &amp; more" in alert.text
    assert gettext_for("en")("Company: {company}").format(company="宁波问询货代有限公司") in alert.text
    assert alert.reply_markup == {
        "inline_keyboard": [[{"text": "Reply", "callback_data": f"inqr:{sent.inquiry.id}"}]]
    }


async def test_without_a_reachable_manager_the_market_department_is_alerted(session: AsyncSession) -> None:
    gone = await make_staff(session, telegram_user_id=8201, roles=(Role.MARKET,), active=False)
    first = await make_staff(session, telegram_user_id=8202, roles=(Role.MARKET,))
    second = await make_staff(session, telegram_user_id=8203, roles=(Role.MARKET, Role.MANAGER))
    await make_staff(session, telegram_user_id=8204, roles=(Role.FINANCE,))
    contact = await _company(session, gone, 8211)
    gone_id, first_id, second_id, second_name = gone.id, first.id, second.id, second.name
    sent = await submit_inquiry(
        session, contact.customer_id, contact.id, "运费怎么算？", default_locale="zh_CN"
    )
    inquiry_id = sent.inquiry.id
    assert sent.account_manager is None
    assert sent.inquiry.staff_id is None
    assert [n.chat_id for n in await _notifications(session)] == [8202, 8203]
    with pytest.raises(NotYourInquiry):
        await answer_inquiry(session, inquiry_id, gone_id, "x", default_locale="zh_CN")
    answered = await answer_inquiry(session, inquiry_id, second_id, "按箱计费。", default_locale="zh_CN")
    assert answered.delivered
    with pytest.raises(AlreadyAnswered) as refused:
        await answer_inquiry(session, inquiry_id, first_id, "另一个答案", default_locale="zh_CN")
    assert refused.value.params == {"name": second_name}
    stored = (await session.execute(select(Inquiry.answer, Inquiry.answered_by_id))).one()
    await session.commit()
    assert tuple(stored) == ("按箱计费。", second_id)


async def test_only_the_addressee_may_answer_and_the_answer_is_signed(session: AsyncSession) -> None:
    manager = await make_staff(session, name="李经理 <i>", telegram_user_id=8301, roles=(Role.OPERATIONS,))
    colleague = await make_staff(session, telegram_user_id=8302, roles=(Role.MARKET,))
    contact = await _company(session, manager, 8311)
    contact.locale = "zh_TW"
    await session.commit()
    manager_id, colleague_id = manager.id, colleague.id
    sent = await submit_inquiry(session, contact.customer_id, contact.id, "问题 <1>", default_locale="zh_CN")
    inquiry_id = sent.inquiry.id
    with pytest.raises(NotYourInquiry):
        await answer_inquiry(session, inquiry_id, colleague_id, "我来回答", default_locale="zh_CN")
    await answer_inquiry(session, inquiry_id, manager_id, "答案 & 说明", default_locale="zh_CN")
    answer = (await _notifications(session))[-1]
    assert (answer.chat_id, answer.idempotency_key) == (8311, f"inquiry:{inquiry_id}:answer")
    _tw = gettext_for("zh_TW")
    assert answer.text.startswith(_tw("<b>Answer to your question</b>"))
    assert "问题 &lt;1&gt;" in answer.text
    assert "答案 &amp; 说明" in answer.text
    assert answer.text.endswith(_tw("— {name}").format(name="李经理 &lt;i&gt;"))


async def test_a_long_question_is_refused_and_nothing_is_stored(session: AsyncSession) -> None:
    manager = await make_staff(session, telegram_user_id=8401)
    contact = await _company(session, manager, 8411)
    customer_id, contact_id = contact.customer_id, contact.id
    with pytest.raises(InvalidInput) as refused:
        await submit_inquiry(session, customer_id, contact_id, "长" * 3001, default_locale="zh_CN")
    assert refused.value.params == {"length": 3001, "limit": 3000}
    with pytest.raises(InvalidInput):
        await submit_inquiry(session, customer_id, contact_id, "   ", default_locale="zh_CN")
    assert await session.scalar(select(func.count()).select_from(Inquiry)) == 0
    assert await _notifications(session) == []


async def test_an_alert_stays_within_telegrams_limit_whatever_the_text(session: AsyncSession) -> None:
    manager = await make_staff(session, telegram_user_id=8501)
    contact = await _company(session, manager, 8511)
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None
    customer.name = "&" * 250
    await session.commit()
    sent = await submit_inquiry(session, contact.customer_id, contact.id, "🚢" * 3000, default_locale="zh_CN")
    [alert] = await _notifications(session)
    assert utf16_len(alert.text) <= 4096
    assert "…" in alert.text
    assert sent.inquiry.text == "🚢" * 3000, "the question itself is stored whole"
