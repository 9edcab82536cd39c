"""The forum-topic desk through the real bot and the sandbox: topics, cards, titles, relays both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.ui.callbacks.desk import DeskAction, DeskStep
from portcrm.enums import ComplaintStatus
from portcrm.models import Complaint, ComplaintEvent, Notification
from portcrm.services.complaints import desk, flow
from portcrm.services.complaints.desk import DeskUser
from sandbox import tiny_png
from tests.desk.support import Desk, running_desk
from tests.harness import TOKEN

S = ComplaintStatus


@pytest.fixture
async def desk_app(database_url: str) -> AsyncIterator[Desk]:
    async with running_desk(database_url) as running:
        yield running


async def _events(desk_app: Desk, complaint_id: int) -> list[tuple[str, str | None]]:
    async with desk_app.app.db.session() as session:
        rows = await session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint_id)
            .order_by(ComplaintEvent.id)
        )
        found = [(e.kind, e.text) for e in rows]
        await session.commit()
    return found


async def test_a_new_complaint_gets_one_topic_titled_with_its_sla_and_its_card_first(desk_app: Desk) -> None:
    await desk_app.attach()
    complaint = await desk_app.file()
    topic = await desk_app.topic_of(complaint.id)
    assert topic.name.startswith(f"{complaint.ticket} · 华海货代 · ")
    assert topic.name.endswith(("h left", "d left"))
    assert len(topic.name) <= 128
    card = await desk_app.in_topic(topic.message_thread_id, complaint.ticket)
    assert "华海货代" in (card.text or "")
    assert "#note" in (card.text or "")
    data = [d for row in card.buttons for _label, d in row]
    assert DeskAction(step=DeskStep.ACKNOWLEDGE, complaint_id=complaint.id).pack() in data
    assert all(len((d or "").encode()) <= 64 for d in data)
    await desk_app.app.settled()
    assert [t.name for t in desk_app.sandbox.created_topics] == [topic.name], "created once"


async def test_attaching_gives_the_open_complaints_their_topics(desk_app: Desk) -> None:
    first, second = await desk_app.file("一"), await desk_app.file("二")
    assert await desk_app.attach() == 2
    for complaint in (first, second):
        topic = await desk_app.topic_of(complaint.id)
        await desk_app.in_topic(topic.message_thread_id, complaint.ticket)
    assert await desk_app.attach() == 0, "attaching again queues nothing twice"
    await desk_app.app.settled()
    assert len(desk_app.sandbox.created_topics) == 2


async def test_staff_words_reach_the_customer_signed_and_notes_stay_internal(desk_app: Desk) -> None:
    await desk_app.attach()
    complaint = await desk_app.file()
    thread = (await desk_app.topic_of(complaint.id)).message_thread_id
    await desk_app.in_topic(thread, complaint.ticket)

    update = desk_app.post(desk_app.staff, "我们已联系码头，明天给您答复。", thread)
    await desk_app.app.handled(update)
    relayed = await desk_app.to_customer("我们已联系码头")
    assert "张市场" in (relayed.text or "")
    assert complaint.ticket in (relayed.text or "")

    note = desk_app.post(desk_app.staff, "#note 码头说是吊机故障", thread)
    await desk_app.app.handled(note)
    reply_to_note = desk_app.post(
        desk_app.staff, "同意，先别告诉客户", thread, reply_to=note["message"]["message_id"]
    )
    await desk_app.app.handled(reply_to_note)
    await desk_app.app.settled()
    texts = [m.text or "" for m in desk_app.sandbox.messages(desk_app.customer)]
    assert not any("吊机" in t or "先别告诉" in t for t in texts), "notes never reach the customer"
    assert await _events(desk_app, complaint.id) == [
        ("created", None),
        ("staff_reply", "我们已联系码头，明天给您答复。"),
        ("note", "码头说是吊机故障"),
        ("note", "同意，先别告诉客户"),
    ]


async def test_a_staff_photo_is_copied_to_the_customer_with_the_staff_name(desk_app: Desk) -> None:
    await desk_app.attach()
    complaint = await desk_app.file()
    thread = (await desk_app.topic_of(complaint.id)).message_thread_id
    update = desk_app.sandbox.send_photo(
        TOKEN, desk_app.staff, tiny_png(2, 2), "现场照片", chat=desk_app.group, thread=thread
    )
    await desk_app.app.handled(update)
    copied = await desk_app.to_customer("现场照片")
    assert copied.kind == "photo"
    assert "张市场" in (copied.caption or "")


async def test_someone_not_on_the_staff_changes_nothing_and_hears_nothing(desk_app: Desk) -> None:
    await desk_app.attach()
    complaint = await desk_app.file()
    thread = (await desk_app.topic_of(complaint.id)).message_thread_id
    card = await desk_app.in_topic(thread, complaint.ticket)
    await desk_app.app.settled()
    before = len(desk_app.sandbox.messages(desk_app.group))

    update = desk_app.post(desk_app.stranger, "hello, anyone?", thread)
    await desk_app.app.handled(update)
    elsewhere = desk_app.sandbox.send_text(TOKEN, desk_app.stranger, "random chat", chat=desk_app.group)
    await desk_app.app.handled(elsewhere)
    press = desk_app.sandbox.press(TOKEN, desk_app.stranger, card, 0)
    answer = await desk_app.sandbox.wait_for_answer(press)
    await desk_app.app.settled()

    assert answer.text  # refused with a toast
    assert len(desk_app.sandbox.messages(desk_app.group)) == before, "no reply in the group"
    assert not any("hello" in (m.text or "") for m in desk_app.sandbox.messages(desk_app.customer))
    async with desk_app.app.db.session() as session:
        status = await session.scalar(select(Complaint.status).where(Complaint.id == complaint.id))
        await session.commit()
    assert status == S.SUBMITTED
    assert await _events(desk_app, complaint.id) == [("created", None)]


async def test_a_staff_press_in_the_topic_acts_and_the_status_is_posted_there(desk_app: Desk) -> None:
    await desk_app.attach()
    complaint = await desk_app.file()
    thread = (await desk_app.topic_of(complaint.id)).message_thread_id
    card = await desk_app.in_topic(thread, complaint.ticket)
    press = desk_app.sandbox.press_data(
        TOKEN, desk_app.staff, card, DeskAction(step=DeskStep.ACKNOWLEDGE, complaint_id=complaint.id).pack()
    )
    await desk_app.app.handled(press)
    posted = await desk_app.in_topic(thread, "Status: Acknowledged")
    assert "张市场" in (posted.text or "")


async def test_the_customer_writes_and_sends_a_file_into_the_topic(desk_app: Desk) -> None:
    await desk_app.attach()
    complaint = await desk_app.file()
    thread = (await desk_app.topic_of(complaint.id)).message_thread_id
    app, customer = desk_app.app, desk_app.customer
    listing = await app.say(customer, "/complaints")
    card = await app.press(customer, listing, complaint.ticket)
    prompt = await app.press(customer, card, "Write to the desk")
    assert complaint.ticket in (prompt.text or "")
    thanks = await app.say(customer, "还有一个柜子也晚了")
    assert "passed on" in (thanks.text or "")
    posted = await desk_app.in_topic(thread, "还有一个柜子也晚了")
    assert "王芳" in (posted.text or "")

    card = await app.press(customer, listing, complaint.ticket)
    await app.press(customer, card, "Write to the desk")
    photo = app.sandbox.send_photo(TOKEN, customer, tiny_png(3, 3), "破损照片")
    await app.handled(photo)
    copied = await desk_app.in_topic(thread, "破损照片")
    assert copied.kind == "photo"
    assert "王芳" in (copied.caption or "")


async def test_the_topic_closes_with_the_complaint_hears_the_rating_and_reopens_when_the_customer_writes(
    desk_app: Desk,
) -> None:
    await desk_app.attach()
    complaint = await desk_app.file()
    thread = (await desk_app.topic_of(complaint.id)).message_thread_id
    db, settings = desk_app.app.db, desk_app.app.settings
    async with db.session() as session:
        staff_id = await session.scalar(
            select(Notification.staff_id).where(Notification.staff_id.is_not(None))
        )
        user = DeskUser(staff_id, frozenset(desk.SEE_ALL))
        await desk.acknowledge(session, complaint.id, user, default_locale="en")
        await desk.start_investigation(session, complaint.id, user, default_locale="en")
        await desk.propose_resolution(session, complaint.id, user, "赔偿滞箱费", default_locale="en")
        await flow.customer_accepts(
            session, complaint.id, desk_app.customer_id, desk_app.contact_id, settings=settings
        )
        await desk.close(session, complaint.id, user, "equipment", "吊机已检修", default_locale="en")
    await desk_app.in_topic(thread, "赔偿滞箱费")
    await desk_app.in_topic(thread, "Status: Closed")
    await desk_app.until(lambda: desk_app.topic(thread).closed, "the topic closed")

    rating = await desk_app.to_customer("How satisfied")
    update = desk_app.sandbox.press(TOKEN, desk_app.customer, rating, "4★")
    await desk_app.app.handled(update)
    await desk_app.in_topic(thread, "4 of 5")

    app = desk_app.app
    await app.say(desk_app.customer, "/cancel")
    listing = await app.say(desk_app.customer, "/complaints")
    card = await app.press(desk_app.customer, listing, complaint.ticket)
    await app.press(desk_app.customer, card, "Write to the desk")
    await app.say(desk_app.customer, "问题又出现了")
    await desk_app.in_topic(thread, "问题又出现了")
    assert not desk_app.topic(thread).closed, "the customer's message after the close reopens the topic"


async def test_a_flood_in_the_group_is_slowed_without_a_word_in_the_group(database_url: str) -> None:
    async with running_desk(database_url, user_rate_limit=2.0, user_burst=2) as desk_app:
        await desk_app.attach()
        before = len(desk_app.sandbox.messages(desk_app.group))
        for n in range(30):
            desk_app.sandbox.send_text(TOKEN, desk_app.stranger, f"spam {n}", chat=desk_app.group)
        await desk_app.app.settled(timeout=60)
        assert len(desk_app.sandbox.messages(desk_app.group)) == before, "no throttle notice in the group"
        assert desk_app.sandbox.violations == []
