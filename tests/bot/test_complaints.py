"""Complaints through the real bot: the /complaint conversation, the ticket, staff alerts and follow-ups."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui.callbacks.complaints import (
    ComplaintRating,
    CustomerComplaintCard,
    CustomerComplaintStep,
    StaffComplaintCard,
)
from portcrm.enums import CargoEventType, ComplaintCategory, ComplaintStatus, NotificationStatus, Role
from portcrm.i18n import gettext_for, resolve_locale
from portcrm.labels import COMPLAINT_STATUS_NAMES
from portcrm.models import Complaint, ComplaintAttachment, ComplaintEvent, Notification
from portcrm.services.complaints import flow
from portcrm.services.complaints.intake import ComplaintDraft, submit_complaint
from portcrm.services.complaints.notices import registered_key
from portcrm.settings import Settings
from sandbox import Mark, SandboxUser, SentMessage, tiny_png
from tests.factories import make_contact, make_customer, make_shipment, make_staff
from tests.harness import TOKEN, RunningBot, running_bot

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
CANCELLED = "Complaint cancelled. Nothing was sent."
STALE = "This button is no longer valid."
USE_BUTTONS = "Please use the buttons above, or send /cancel to stop."


@dataclass
class Company:
    customer_id: int
    contact_id: int
    shipment_ids: list[int]


async def _company(
    app: RunningBot, user_id: int, *, shipments: int = 2, manager_id: int | None = None
) -> Company:
    async with app.db.session() as session:
        customer = await make_customer(
            session, name=f"宁波投诉测试货代{user_id}有限公司", account_manager_id=manager_id
        )
        contact = await make_contact(session, customer, name=f"王芳{user_id}", telegram_user_id=user_id)
        ids = []
        for n in range(shipments):
            shipment = await make_shipment(
                session,
                customer,
                vessel_name="COSCO TAURUS",
                voyage=f"0{n}E",
                status=CargoEventType.VESSEL_DEPARTED,
                eta=dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(days=n),
            )
            ids.append(shipment.id)
        await session.commit()
        return Company(customer.id, contact.id, ids)


async def _press_next(app: RunningBot, user: SandboxUser, message: SentMessage, button: str) -> SentMessage:
    """Press a step's button: the bot asks the next question, which is returned, and settles the prompt."""
    update = app.sandbox.press(TOKEN, user, message, button)
    await app.handled(update)
    replies = app.sandbox.replies(user, update, token=TOKEN)
    return [m for m in replies if m.message_id != message.message_id][-1]


async def _reply_to_file(app: RunningBot, user: SandboxUser, update: dict[str, object]) -> SentMessage:
    return await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)  # type: ignore[arg-type]


async def _complaints(app: RunningBot) -> list[Complaint]:
    async with app.db.session() as session:
        rows = list(await session.scalars(select(Complaint).order_by(Complaint.id)))
        await session.commit()
        return rows


async def _notice(app: RunningBot, user: SandboxUser, after: Mark | SentMessage, text: str) -> SentMessage:
    """The first push after `after` that contains `text` (pushes arrive in order, through the outbox)."""
    message = await app.sandbox.wait_for_reply(user, after=after, token=TOKEN)
    while text not in (message.text or ""):
        message = await app.sandbox.wait_for_reply(user, after=message, token=TOKEN)
    return message


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def test_a_complaint_with_a_photo_and_a_document_alerts_the_market_department(app: RunningBot) -> None:
    async with app.db.session() as session:
        market = await make_staff(session, telegram_user_id=8101, name="张市场", roles=(Role.MARKET,))
        manager = await make_staff(session, telegram_user_id=8102, name="李经理", roles=(Role.OPERATIONS,))
        await make_staff(session, telegram_user_id=8103, roles=(Role.FINANCE,))
        await session.commit()
    company = await _company(app, 8001, shipments=10, manager_id=manager.id)
    staff_user = app.user(8101, language_code="zh-hant")
    await app.say(staff_user, "/start")
    await app.say(app.user(8102, language_code="en"), "/start")  # a chat Telegram can deliver to
    user = app.user(8001, language_code="en")
    _ = gettext_for("en")

    ask = await app.say(user, "/complaint")
    assert [label for row in ask.buttons for label, _data in row] == [
        _("Cargo damage"), _("Delay"), _("Billing"), _("Documentation"), _("Staff service"), _("Other"),
    ]  # fmt: skip
    which = await _press_next(app, user, ask, _("Delay"))
    labels = [label for row in which.buttons for label, _data in row]
    assert len(labels) == 9, "at most 8 recent shipments, and None"
    assert labels[-1] == _("None of these")
    describe = await _press_next(app, user, which, labels[0])
    assert describe.text == _(
        "Please describe the problem: what happened, when, and what you expect from us."
    )
    files = await app.say(user, "The container arrived three days late.")
    assert [label for row in files.buttons for label, _data in row] == [_("Skip")]
    photo = app.sandbox.send_photo(TOKEN, user, tiny_png(2, 2))
    got = await _reply_to_file(app, user, photo)
    assert got.text == _("Received {count} of at most {limit} files. Send more, or press Done.").format(
        count=1, limit=5
    )
    document = app.sandbox.send_document(TOKEN, user, b"%PDF-1.4 survey", "survey.pdf", "application/pdf")
    got = await _reply_to_file(app, user, document)
    summary = await _press_next(app, user, got, _("Done"))
    assert "COSCO TAURUS" in summary.text
    assert _("Files: {count}").format(count=2) in summary.text
    thanks = await _press_next(app, user, summary, _("Submit"))

    [complaint] = await _complaints(app)
    assert complaint.ticket == f"CP-{dt.datetime.now(app.settings.tz).year}-000001"
    assert complaint.ticket in thanks.text
    assert (complaint.customer_id, complaint.contact_id) == (company.customer_id, company.contact_id)
    assert (complaint.category, complaint.department) == (ComplaintCategory.DELAY, Role.OPERATIONS)
    assert complaint.description == "The container arrived three days late."
    assert complaint.shipment_id == company.shipment_ids[-1], "the latest ETA comes first"
    assert complaint.shipment_snapshot is not None
    assert complaint.shipment_snapshot["vessel_name"] == "COSCO TAURUS"
    assert complaint.shipment_snapshot["status"] == "vessel_departed"
    assert complaint.shipment_snapshot["eta"].startswith("2026-11-10")
    async with app.db.session() as session:
        files_ = list(await session.scalars(select(ComplaintAttachment).order_by(ComplaintAttachment.id)))
        events = list(await session.scalars(select(ComplaintEvent)))
        await session.commit()
    sent_photo = photo["message"]["photo"][-1]  # type: ignore[index]
    sent_doc = document["message"]["document"]  # type: ignore[index]
    assert [(f.kind, f.telegram_file_id, f.file_name, f.size) for f in files_] == [
        ("photo", sent_photo["file_id"], None, sent_photo["file_size"]),
        ("document", sent_doc["file_id"], "survey.pdf", sent_doc["file_size"]),
    ]
    assert files_[1].mime_type == "application/pdf"
    assert [(e.kind, e.to_status) for e in events] == [("created", ComplaintStatus.SUBMITTED)]

    # the market colleague (Traditional Chinese) gets the alert, and its button opens the card
    alert = await app.sandbox.wait_for_reply(staff_user, after=1, token=TOKEN)  # after the /start reply
    tw = gettext_for("zh_TW")
    assert alert.text.startswith(_plain(tw("<b>New complaint {ticket}</b>").format(ticket=complaint.ticket)))
    card = await app.press(staff_user, alert, tw("Open complaint"))
    assert complaint.ticket in card.text
    assert "宁波投诉测试货代8001有限公司" in card.text
    assert tw("Files: {count}").format(count=2) in card.text
    assert "COSCO TAURUS 09E" in card.text
    assert tw("Vessel departed") in card.text
    async with app.db.session() as session:
        keys = set(await session.scalars(select(Notification.idempotency_key)))
        await session.commit()
    # the finance colleague is neither in the market department nor the account manager
    assert keys == {
        f"complaint:{complaint.id}:new:{market.id}",
        f"complaint:{complaint.id}:new:{manager.id}",
        f"complaint:{complaint.id}:registered",  # sent in the chat, recorded as sent
    }


async def _to_step(app: RunningBot, user: SandboxUser, step: str) -> SentMessage:
    """Walk a draft (category Billing, no shipment, a description) up to the named step's prompt."""
    _ = gettext_for(resolve_locale(None, user.language_code, "zh_CN"))
    message = await app.say(user, "/complaint")
    if step == "category":
        return message
    message = await _press_next(app, user, message, _("Billing"))
    if step == "shipment":
        return message
    message = await _press_next(app, user, message, _("None of these"))
    if step == "description":
        return message
    message = await app.say(user, "发票金额不对")
    if step == "attachments":
        return message
    return await _press_next(app, user, message, _("Skip"))


async def test_cancel_at_any_step_leaves_no_complaint(app: RunningBot) -> None:
    await _company(app, 8201)
    user = app.user(8201, language_code="zh-hans")
    _ = gettext_for("zh_CN")
    for step in ("category", "shipment", "description", "attachments", "confirm"):
        prompt = await _to_step(app, user, step)
        assert (await app.say(user, "/cancel")).text == _(CANCELLED), step
        if step == "confirm":  # the discarded draft's buttons are stale now
            update = app.sandbox.press(TOKEN, user, prompt, _("Submit"))
            assert (await app.sandbox.wait_for_answer(update)).text == _(STALE)
    confirm = await _to_step(app, user, "confirm")
    cancelled = await app.press(user, confirm, _("Cancel"))
    assert cancelled.text == _(CANCELLED)
    assert await _complaints(app) == []
    assert (await app.say(user, "随便说说")).text != _(USE_BUTTONS), "no draft is waiting any more"


async def test_text_where_a_button_is_expected_gets_a_hint_and_a_sixth_file_is_refused(
    app: RunningBot,
) -> None:
    await _company(app, 8301)
    user = app.user(8301, language_code="zh-hans")
    _ = gettext_for("zh_CN")
    await _to_step(app, user, "category")
    assert (await app.say(user, "账单问题")).text == _(USE_BUTTONS)
    await app.say(user, "/cancel")  # else /complaint offers to continue this draft
    await _to_step(app, user, "attachments")
    mark = app.sandbox.mark()
    for n in range(5):  # at once, like an album: each is an update of its own, handled concurrently
        app.sandbox.send_document(TOKEN, user, b"x" * (n + 1), f"单据{n}.pdf")
    await app.settled()
    received = [m.text for m in app.sandbox.replies(user, mark, token=TOKEN)]
    expected = "Received {count} of at most {limit} files. Send more, or press Done."
    assert received == [_(expected).format(count=n, limit=5) for n in range(1, 6)], "no file was lost"
    files = app.sandbox.replies(user, mark, token=TOKEN)[-1]
    update = app.sandbox.send_photo(TOKEN, user, tiny_png())
    refused = await _reply_to_file(app, user, update)
    assert refused.text == _(
        "A complaint can carry {limit} files, and you have added them all. Press Done to continue."
    ).format(limit=5)
    summary = await _press_next(app, user, files, _("Done"))
    assert _("Files: {count}").format(count=5) in summary.text


async def test_a_draft_survives_a_restart_of_the_bot(database_url: str) -> None:
    _ = gettext_for("en")
    async with running_bot(database_url) as first:
        await _company(first, 8401)
        user = first.user(8401, language_code="en")
        ask = await first.say(user, "/complaint")
        which = await _press_next(first, user, ask, _("Documentation"))
        await _press_next(first, user, which, _("None of these"))
    async with running_bot(database_url) as second:  # a new process: same database, nothing in memory
        user = second.user(8401, language_code="en")
        files = await second.say(user, "The B/L shows the wrong consignee.")
        summary = await _press_next(second, user, files, _("Skip"))
        assert _("Category: {category}").format(category=_("Documentation")) in summary.text
        thanks = await _press_next(second, user, summary, _("Submit"))
        [complaint] = await _complaints(second)
        assert complaint.ticket in thanks.text
        assert complaint.category == ComplaintCategory.DOCUMENTATION
        assert complaint.description == "The B/L shows the wrong consignee."


async def test_a_long_description_is_refused_and_html_and_emoji_are_kept_verbatim(app: RunningBot) -> None:
    await _company(app, 8501)
    user = app.user(8501, language_code="zh-hant")
    _ = gettext_for("zh_TW")
    await _to_step(app, user, "description")
    too_long = await app.say(user, "长" * 5000)
    assert too_long.text == _(
        "Too long: {length} characters, the limit is {limit}. Please shorten it and send it again."
    ).format(length=5000, limit=4000)
    text = "<b>货损</b> & <i>不是标签</i> 🚢📦 " + "箱" * 2970
    assert len(text) < 3001
    files = await app.say(user, text)
    summary = await _press_next(app, user, files, _("Skip"))
    assert text in summary.text, "shown escaped: the tags appear as typed"
    await _press_next(app, user, summary, _("Submit"))
    [complaint] = await _complaints(app)
    assert complaint.description == text


async def test_pressing_submit_twice_makes_one_complaint_and_both_presses_name_it(app: RunningBot) -> None:
    await _company(app, 8601)
    user = app.user(8601, language_code="en")
    _ = gettext_for("en")
    confirm = await _to_step(app, user, "confirm")
    first = app.sandbox.press(TOKEN, user, confirm, _("Submit"))
    second = app.sandbox.press(TOKEN, user, confirm, _("Submit"))
    answers = await asyncio.gather(app.sandbox.wait_for_answer(first), app.sandbox.wait_for_answer(second))
    [complaint] = await _complaints(app)
    expected = _("Complaint {ticket} submitted.").format(ticket=complaint.ticket)
    assert [a.text for a in answers] == [expected, expected]


async def _filed(app: RunningBot, company: Company, text: str = "Damaged carton") -> Complaint:
    """A complaint filed outside the chat; returns once the outbox has dealt with its confirmation, so the
    pushes a test waits for next come after it."""
    async with app.db.session() as session:
        draft = ComplaintDraft(
            key=f"k-{company.contact_id}-{text}",
            customer_id=company.customer_id,
            contact_id=company.contact_id,
            category=ComplaintCategory.CARGO_DAMAGE,
            description=text,
        )
        submission = await submit_complaint(session, draft, tz=app.settings.tz, default_locale="zh_CN")
    key = registered_key(submission.complaint.id)
    async with asyncio.timeout(15):
        while True:
            async with app.db.session() as session:
                status = await session.scalar(
                    select(Notification.status).where(Notification.idempotency_key == key)
                )
                await session.commit()
            if status != NotificationStatus.PENDING:
                return submission.complaint
            await asyncio.sleep(0.02)


async def test_the_customer_follows_status_changes_and_accepts_or_rejects_the_proposal(
    app: RunningBot,
) -> None:
    async with app.db.session() as session:
        handler = await make_staff(session, telegram_user_id=8799, roles=(Role.OPERATIONS,))
        await session.commit()
    company = await _company(app, 8701, shipments=0)
    user = app.user(8701, language_code="en")
    await app.say(user, "/start")
    _ = gettext_for("en")
    complaint = await _filed(app, company)
    mark = app.sandbox.mark()
    async with app.db.session() as session:
        await flow.acknowledge(session, complaint.id, handler.id, default_locale="zh_CN")
    notice = await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN)
    assert notice.text.startswith(
        f"Complaint {complaint.ticket}: {_(COMPLAINT_STATUS_NAMES[ComplaintStatus.ACKNOWLEDGED])}"
    )

    async with app.db.session() as session:
        await flow.start_investigation(session, complaint.id, handler.id, default_locale="zh_CN")
        mark = app.sandbox.mark()
        await flow.propose_resolution(
            session, complaint.id, handler.id, "We refund <50%> of the handling fee.", default_locale="zh_CN"
        )
    proposal = await _notice(app, user, mark, "We refund <50%> of the handling fee.")
    reason_prompt = await app.press(user, proposal, _("Reject"))
    assert complaint.ticket in reason_prompt.text
    await app.say(user, "Half is not enough.")
    async with app.db.session() as session:
        reopened = await session.get(Complaint, complaint.id)
        reason = await session.scalar(select(ComplaintEvent.text).order_by(ComplaintEvent.id.desc()).limit(1))
        await session.commit()
    assert reopened is not None
    assert reopened.status == ComplaintStatus.INVESTIGATING
    assert reason == "Half is not enough."

    async with app.db.session() as session:
        mark = app.sandbox.mark()
        await flow.propose_resolution(
            session, complaint.id, handler.id, "Full refund.", default_locale="zh_CN"
        )
    proposal = await _notice(app, user, mark, "Full refund.")
    listing = await app.say(user, "/complaints")
    card = await app.press(user, listing, complaint.ticket)
    assert "Full refund." in card.text
    assert [label for row in card.buttons for label, _data in row] == [_("Accept"), _("Reject")]
    update = app.sandbox.press(TOKEN, user, proposal, _("Accept"))
    answer = await app.sandbox.wait_for_answer(update)
    assert answer.text == _("Thank you! Complaint {ticket} is resolved.").format(ticket=complaint.ticket)
    again = app.sandbox.press_data(
        TOKEN, user, proposal, CustomerComplaintStep(step="accept", complaint_id=complaint.id).pack()
    )
    refusal = await app.sandbox.wait_for_answer(again)
    assert refusal.show_alert
    assert refusal.text == _("Complaint {ticket} is not at a stage where that is possible.").format(
        ticket=complaint.ticket
    )
    async with app.db.session() as session:
        resolved = await session.get(Complaint, complaint.id)
        await session.commit()
    assert resolved is not None
    assert resolved.status == ComplaintStatus.RESOLVED


@pytest.mark.slow
async def test_the_customer_answers_a_question_and_rates_the_closed_complaint(app: RunningBot) -> None:
    async with app.db.session() as session:
        handler = await make_staff(session, telegram_user_id=8899, roles=(Role.MARKET,))
        await session.commit()
    await app.say(app.user(8899, language_code="en"), "/start")  # the market colleague gets the alert
    company = await _company(app, 8801)
    user = app.user(8801, language_code="zh-hans")
    await app.say(user, "/start")
    _ = gettext_for("zh_CN")
    complaint = await _filed(app, company)
    async with app.db.session() as session:
        await flow.acknowledge(session, complaint.id, handler.id, default_locale="zh_CN")
        await flow.start_investigation(session, complaint.id, handler.id, default_locale="zh_CN")
        mark = app.sandbox.mark()
        await flow.ask_customer(session, complaint.id, handler.id, "请提供箱号", default_locale="zh_CN")
    question = await _notice(app, user, mark, "请提供箱号")
    await _to_step(app, user, "description")  # a new draft is half-way when the question comes
    await app.press(user, question, _("Reply"))
    before = app.sandbox.mark()
    answer = app.sandbox.send_text(TOKEN, user, "MSKU1234565")
    await app.handled(answer)
    # the answer puts the complaint back under investigation, and the outbox pushes that beside the reply:
    # wait for it, or it may come in as the first message after the next one the customer sends
    await _notice(
        app, user, before, _("We are investigating the facts and the cause, and will come back to you.")
    )
    replies = [m.text or "" for m in app.sandbox.replies(user, answer, token=TOKEN)]
    draft_open = _("Your complaint draft is still open: carry on where you left off.")
    assert [text for text in replies if text.endswith(draft_open)], replies
    files = await app.say(user, "另一个问题")
    assert [label for row in files.buttons for label, _data in row] == [_("Skip")], "the draft went on"
    assert (await app.say(user, "/cancel")).text == _(CANCELLED)
    async with app.db.session() as session:
        await flow.propose_resolution(session, complaint.id, handler.id, "赔偿", default_locale="zh_CN")
        await flow.customer_accepts(
            session, complaint.id, company.customer_id, company.contact_id, settings=app.settings
        )
        mark = app.sandbox.mark()
        await flow.close(session, complaint.id, handler.id, "堆场操作", "加强培训", default_locale="zh_CN")
    closed = _("Your complaint is closed. How satisfied are you with how we handled it (1 to 5)?")
    ask_rating = await _notice(app, user, mark, closed)
    comment_prompt = await _press_next(app, user, ask_rating, "4★")
    assert [label for row in comment_prompt.buttons for label, _data in row] == [_("Skip")]
    await app.say(user, "处理及时 <谢谢>")
    twice = app.sandbox.press_data(
        TOKEN, user, ask_rating, ComplaintRating(complaint_id=complaint.id, score=1).pack()
    )
    assert (await app.sandbox.wait_for_answer(twice)).text == _(
        "Complaint {ticket} has already been rated. Thank you!"
    ).format(ticket=complaint.ticket)
    async with app.db.session() as session:
        rated = await session.get(Complaint, complaint.id)
        kinds = list(await session.scalars(select(ComplaintEvent.kind).order_by(ComplaintEvent.id)))
        await session.commit()
    assert rated is not None
    assert (rated.satisfaction, rated.satisfaction_comment) == (4, "处理及时 <谢谢>")
    assert kinds.count("message") == 1
    assert kinds[-1] == "rating"

    listing = await app.say(user, "/complaints")
    assert complaint.ticket in listing.text
    assert _(COMPLAINT_STATUS_NAMES[ComplaintStatus.CLOSED]) in listing.text
    card = await app.press(user, listing, complaint.ticket)
    assert _("<b>Resolution</b>").removeprefix("<b>").removesuffix("</b>") in card.text
    assert "赔偿" in card.text
    # submitted, acknowledged, investigating, awaiting, investigating, proposed, resolved, closed
    assert card.text.count(" — ") == 8
    # nothing is awaited from the customer any more; they may still write to the desk (docs/desk.md)
    assert [label for row in card.buttons for label, _data in row] == [_("Write to the desk")]


async def test_another_companys_complaints_and_shipments_cannot_be_reached(app: RunningBot) -> None:
    ours = await _company(app, 8901)
    theirs = await _company(app, 8902)
    await app.say(app.user(8902, language_code="en"), "/start")  # their pushes must reach them
    foreign = await _filed(app, theirs, "their complaint")
    async with app.db.session() as session:
        handler = await make_staff(session)
        await flow.acknowledge(session, foreign.id, handler.id, default_locale="zh_CN")
        await flow.start_investigation(session, foreign.id, handler.id, default_locale="zh_CN")
        await flow.propose_resolution(session, foreign.id, handler.id, "proposal", default_locale="zh_CN")
    user = app.user(8901, language_code="en")
    _ = gettext_for("en")
    listing = await app.say(user, "/complaints")
    assert foreign.ticket not in listing.text
    forged = [
        CustomerComplaintCard(complaint_id=foreign.id).pack(),
        CustomerComplaintStep(step="accept", complaint_id=foreign.id).pack(),
        CustomerComplaintStep(step="reject", complaint_id=foreign.id).pack(),
        ComplaintRating(complaint_id=foreign.id, score=5).pack(),
        CustomerComplaintCard(complaint_id=10**30).pack(),
    ]
    for data in forged:
        answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, user, listing, data))
        assert answer.text == _("That complaint was not found."), data
    staff_only = app.sandbox.press_data(
        TOKEN, user, listing, StaffComplaintCard(complaint_id=foreign.id).pack()
    )
    assert (await app.sandbox.wait_for_answer(staff_only)).text == _(STALE)

    which = await _to_step_en(app, user)
    update = app.sandbox.press_data(TOKEN, user, which, f"cpshp:{theirs.shipment_ids[0]}")
    answer = await app.sandbox.wait_for_answer(update)
    assert answer.text == _("That shipment was not found among your company's shipments.")
    describe = await _press_next(app, user, which, next(b for row in which.buttons for b, _d in row))
    assert describe.text.startswith(_("Please describe the problem"))
    async with app.db.session() as session:
        state = await session.get(Complaint, foreign.id)
        total = await session.scalar(select(func.count()).select_from(Complaint))
        await session.commit()
    assert state is not None
    assert state.status == ComplaintStatus.RESOLUTION_PROPOSED
    assert total == 1
    assert ours.shipment_ids


async def _to_step_en(app: RunningBot, user: SandboxUser) -> SentMessage:
    ask = await app.say(user, "/complaint")
    return await _press_next(app, user, ask, gettext_for("en")("Cargo damage"))


async def test_every_pushed_button_is_one_the_bot_understands(session: AsyncSession) -> None:
    """The core writes the pushes' payloads; the bot's callback data classes must unpack each of them."""
    customer = await make_customer(session)
    contact = await make_contact(session, customer, telegram_user_id=8991)
    staff = await make_staff(session, telegram_user_id=8992, roles=(Role.MARKET,))
    draft = ComplaintDraft("contract", customer.id, contact.id, ComplaintCategory.OTHER, "text")
    cid = (await submit_complaint(session, draft, tz=dt.UTC, default_locale="zh_CN")).complaint.id
    await flow.acknowledge(session, cid, staff.id, default_locale="zh_CN")
    await flow.start_investigation(session, cid, staff.id, default_locale="zh_CN")
    await flow.ask_customer(session, cid, staff.id, "?", default_locale="zh_CN")
    await flow.customer_answers(session, cid, customer.id, contact.id, "!", settings=SETTINGS)
    await flow.propose_resolution(session, cid, staff.id, "refund", default_locale="zh_CN")
    await flow.customer_accepts(session, cid, customer.id, contact.id, settings=SETTINGS)
    await flow.close(session, cid, staff.id, "cause", "action", default_locale="zh_CN")
    payloads = [
        button["callback_data"]
        for markup in await session.scalars(select(Notification.reply_markup))
        for row in (markup or {}).get("inline_keyboard", [])
        for button in row
    ]
    classes = (StaffComplaintCard, CustomerComplaintCard, CustomerComplaintStep, ComplaintRating)
    understood = {}
    for data in payloads:
        [parsed] = [c.unpack(data) for c in classes if data.startswith(c.__prefix__ + ":")]
        assert parsed.pack() == data
        assert parsed.complaint_id == cid
        understood[type(parsed).__name__] = understood.get(type(parsed).__name__, 0) + 1
    assert understood == {
        "StaffComplaintCard": 3,  # new; the customer answered, accepted
        "CustomerComplaintCard": 4,  # acknowledged, investigating ×2, resolved
        "CustomerComplaintStep": 3,  # reply; accept and reject
        "ComplaintRating": 5,
    }
