"""Complaint services: intake as one idempotent call, routing, staff alerts, and the status path's notices."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintCategory, ComplaintStatus, NotificationStatus, Role
from portcrm.errors import InvalidInput
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import (
    ChatUser,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    Contact,
    Customer,
    Notification,
)
from portcrm.services.complaints import cards, flow
from portcrm.services.complaints.flow import AlreadyRated
from portcrm.services.complaints.intake import (
    ROUTING,
    AttachmentDraft,
    ComplaintDraft,
    ComplaintNotFound,
    DraftGone,
    ShipmentNotFound,
    StepNotPossible,
    add_attachment,
    check_text,
    confirmation_not_sent,
    confirmation_sent,
    shipment_choices,
    submit_complaint,
    submitted_by_key,
)
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer, make_shipment, make_staff

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
PORT = ZoneInfo("Asia/Shanghai")
REGISTERED = (
    "Thank you. Your complaint is registered as <b>{ticket}</b>. We will keep you informed here; "
    "send /complaints to follow it."
)
S = ComplaintStatus


def _draft(
    customer: Customer, contact: Contact | None, key: str | None = None, **kw: object
) -> ComplaintDraft:
    values: dict[str, object] = {
        "category": ComplaintCategory.OTHER,
        "description": "柜子晚到 <b>3</b> 天 🚢",
    }
    values.update(kw)
    return ComplaintDraft(
        key=key or uuid.uuid4().hex,
        customer_id=customer.id,
        contact_id=contact.id if contact else None,
        **values,  # type: ignore[arg-type]
    )


async def _count(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def _keys(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Notification.idempotency_key).order_by(Notification.id)))


async def test_a_submission_stores_everything_and_routes_by_category(session: AsyncSession) -> None:
    customer = await make_customer(session)
    contact = await make_contact(session, customer)
    shipment = await make_shipment(
        session,
        customer,
        vessel_name="ZHONG GU 1",
        voyage="2611W",
        eta=dt.datetime(2026, 11, 30, 4, tzinfo=dt.UTC),
    )
    attachments = (
        AttachmentDraft("photo", "file-1", None, "image/jpeg", 120),
        AttachmentDraft("document", "file-2", "survey.pdf", "application/pdf", 3000),
    )
    draft = _draft(
        customer,
        contact,
        category=ComplaintCategory.CARGO_DAMAGE,
        shipment_id=shipment.id,
        attachments=attachments,
    )
    submission = await submit_complaint(
        session, draft, tz=PORT, now=dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC), default_locale="zh_CN"
    )
    complaint = submission.complaint
    assert submission.created
    assert complaint.ticket == "CP-2026-000001"
    assert (complaint.department, complaint.status) == (Role.OPERATIONS, S.SUBMITTED)
    assert complaint.description == "柜子晚到 <b>3</b> 天 🚢"
    assert complaint.shipment_snapshot is not None
    assert complaint.shipment_snapshot["vessel_name"] == "ZHONG GU 1"
    assert complaint.shipment_snapshot["voyage"] == "2611W"
    assert complaint.shipment_snapshot["eta"] == "2026-11-30T04:00:00+00:00"
    stored = list(await session.scalars(select(ComplaintAttachment).order_by(ComplaintAttachment.id)))
    assert [(a.kind, a.telegram_file_id, a.file_name, a.mime_type, a.size) for a in stored] == [
        ("photo", "file-1", None, "image/jpeg", 120),
        ("document", "file-2", "survey.pdf", "application/pdf", 3000),
    ]
    [event] = await session.scalars(select(ComplaintEvent))
    assert (event.kind, event.to_status, event.contact_id) == ("created", S.SUBMITTED, contact.id)
    assert ROUTING == {
        ComplaintCategory.BILLING: Role.FINANCE,
        ComplaintCategory.CARGO_DAMAGE: Role.OPERATIONS,
        ComplaintCategory.DELAY: Role.OPERATIONS,
        ComplaintCategory.DOCUMENTATION: Role.OPERATIONS,
        ComplaintCategory.STAFF_SERVICE: Role.MARKET,
        ComplaintCategory.OTHER: Role.MARKET,
    }


async def test_tickets_are_numbered_per_year_on_the_ports_clock(session: AsyncSession) -> None:
    customer = await make_customer(session)
    contact = await make_contact(session, customer)
    times = [
        dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC),  # 23:59 in Shanghai
        dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC),  # New Year in Shanghai
        dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
    ]
    tickets = []
    for n, at in enumerate(times):
        submission = await submit_complaint(
            session, _draft(customer, contact, key=f"k{n}"), tz=PORT, now=at, default_locale="zh_CN"
        )
        tickets.append(submission.complaint.ticket)
    assert tickets == ["CP-2026-000001", "CP-2026-000002", "CP-2027-000001", "CP-2027-000002"]


async def test_the_same_draft_submitted_twice_is_one_complaint(session: AsyncSession, db: Database) -> None:
    customer = await make_customer(session)
    contact = await make_contact(session, customer, telegram_user_id=92501)
    await make_staff(session, roles=(Role.MARKET,))
    await session.commit()
    draft = _draft(customer, contact, key="same")

    async def press() -> str:
        async with db.session() as own:
            return (await submit_complaint(own, draft, tz=PORT, default_locale="zh_CN")).complaint.ticket

    tickets = await asyncio.gather(press(), press(), press())  # three sessions, as three concurrent updates
    assert tickets == ["CP-" + tickets[0].removeprefix("CP-")] * 3
    again = await submit_complaint(session, draft, tz=PORT, default_locale="zh_CN")
    assert not again.created
    assert await _count(session, Complaint) == 1
    kinds = list(await session.scalars(select(Notification.kind).order_by(Notification.id)))
    assert kinds == ["complaint_new", "complaint_registered"], "one alert, one confirmation, not per press"


async def test_market_staff_and_the_account_manager_are_alerted_in_their_language(
    session: AsyncSession,
) -> None:
    market_tw = await make_staff(session, telegram_user_id=91001, roles=(Role.MARKET,))
    market_en = await make_staff(session, telegram_user_id=91002, roles=(Role.MARKET, Role.MANAGER))
    manager = await make_staff(session, telegram_user_id=91003, roles=(Role.FINANCE,))
    await make_staff(session, telegram_user_id=91004, roles=(Role.MARKET,), active=False)
    await make_staff(session, telegram_user_id=91005, roles=(Role.OPERATIONS,))
    await make_staff(session, telegram_user_id=None, roles=(Role.MARKET,))
    session.add_all(
        [
            ChatUser(telegram_user_id=91001, telegram_language="en", locale="zh_TW"),
            ChatUser(telegram_user_id=91002, telegram_language="en-GB"),
        ]
    )
    customer = await make_customer(session, name="宁波<远洋>货代", account_manager_id=manager.id)
    contact = await make_contact(session, customer, name="王芳")
    complaint = (
        await submit_complaint(session, _draft(customer, contact), tz=PORT, default_locale="zh_CN")
    ).complaint
    rows = {n.staff_id: n for n in await session.scalars(select(Notification))}
    assert set(rows) == {market_tw.id, market_en.id, manager.id}
    for staff_id, locale in ((market_tw.id, "zh_TW"), (market_en.id, "en"), (manager.id, "zh_CN")):
        _ = gettext_for(locale)
        row = rows[staff_id]
        assert row.idempotency_key == f"complaint:{complaint.id}:new:{staff_id}"
        assert row.text.startswith(_("<b>New complaint {ticket}</b>").format(ticket=complaint.ticket))
        assert _("Company: {company}").format(company="宁波&lt;远洋&gt;货代") in row.text
        assert "柜子晚到 &lt;b&gt;3&lt;/b&gt; 天 🚢" in row.text
        assert row.reply_markup == {
            "inline_keyboard": [[{"text": _("Open complaint"), "callback_data": f"cpstf:{complaint.id}"}]]
        }


async def test_bad_drafts_are_refused_and_leave_nothing(session: AsyncSession) -> None:
    customer = await make_customer(session)
    contact = await make_contact(session, customer)
    other = await make_customer(session)
    foreign = await make_shipment(session, other)
    await make_staff(session, roles=(Role.MARKET,))
    await session.commit()
    six = tuple(AttachmentDraft("photo", f"f{n}") for n in range(6))
    drafts = [  # built first: a refusal rolls back, which expires the objects these read
        (ShipmentNotFound, _draft(customer, contact, shipment_id=foreign.id)),
        (ShipmentNotFound, _draft(customer, contact, shipment_id=2**70)),
        (InvalidInput, _draft(customer, contact, description="x" * 4001)),
        (InvalidInput, _draft(customer, contact, attachments=six)),
    ]
    for error, draft in drafts:
        with pytest.raises(error):
            await submit_complaint(session, draft, tz=PORT, default_locale="zh_CN")
    assert (await _count(session, Complaint), await _count(session, Notification)) == (0, 0)
    assert check_text("x" * 4000) == "x" * 4000
    with pytest.raises(InvalidInput):
        check_text("  \n ")
    with pytest.raises(InvalidInput):
        add_attachment(six[:5], six[5])


async def test_shipment_choices_are_the_customers_own_eight_latest(session: AsyncSession) -> None:
    customer = await make_customer(session)
    other = await make_customer(session)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ours = [await make_shipment(session, customer, eta=start + dt.timedelta(days=n)) for n in range(10)]
    await make_shipment(session, other, eta=start + dt.timedelta(days=99))
    await session.commit()
    choices = await shipment_choices(session, customer.id)
    assert [s.id for s in choices] == [s.id for s in reversed(ours)][:8]


async def _filed(session: AsyncSession, **contact_kw: object) -> tuple[Complaint, Contact, int]:
    customer = await make_customer(session)
    contact = await make_contact(session, customer, **contact_kw)
    staff = await make_staff(session, telegram_user_id=None, roles=(Role.OPERATIONS,))
    complaint = (
        await submit_complaint(session, _draft(customer, contact), tz=PORT, default_locale="zh_CN")
    ).complaint
    return complaint, contact, staff.id


async def test_the_whole_path_notifies_the_complainant_at_every_status_change(session: AsyncSession) -> None:
    complaint, contact, staff_id = await _filed(session, telegram_user_id=92001, locale="en")
    cid, customer_id = complaint.id, complaint.customer_id
    await flow.acknowledge(session, cid, staff_id, default_locale="zh_CN")
    await flow.start_investigation(session, cid, staff_id, default_locale="zh_CN")
    await flow.ask_customer(session, cid, staff_id, "Which container?", default_locale="zh_CN")
    await flow.customer_answers(session, cid, customer_id, contact.id, "MSKU1234565", settings=SETTINGS)
    await flow.propose_resolution(session, cid, staff_id, "Refund <half>", default_locale="zh_CN")
    await flow.customer_rejects(session, cid, customer_id, contact.id, "Not enough", settings=SETTINGS)
    await flow.propose_resolution(session, cid, staff_id, "Full refund", default_locale="zh_CN")
    await flow.customer_accepts(session, cid, customer_id, contact.id, settings=SETTINGS)
    await flow.close(
        session, cid, staff_id, "yard handling", "Retrain the crane crew", default_locale="zh_CN"
    )
    await flow.rate(session, cid, customer_id, contact.id, 4)
    await flow.comment_rating(session, cid, customer_id, "Quick, thanks")

    events = list(await session.scalars(select(ComplaintEvent).order_by(ComplaintEvent.id)))
    steps = [(e.kind, e.from_status, e.to_status) for e in events if e.kind == "status"]
    assert [to for _k, _f, to in steps] == [
        S.ACKNOWLEDGED, S.INVESTIGATING, S.AWAITING_CUSTOMER, S.INVESTIGATING, S.RESOLUTION_PROPOSED,
        S.INVESTIGATING, S.RESOLUTION_PROPOSED, S.RESOLVED, S.CLOSED,
    ]  # fmt: skip
    assert [e.kind for e in events].count("message") == 1
    assert events[-1].kind == "rating"
    assert events[-1].text == "Quick, thanks"
    status_ids = [e.id for e in events if e.kind == "status"]
    registered, *notices = list(await session.scalars(select(Notification).order_by(Notification.id)))
    assert registered.idempotency_key == f"complaint:{cid}:registered", "the confirmation comes first"
    assert registered.text == REGISTERED.format(ticket=complaint.ticket), "in the contact's language"
    assert [n.idempotency_key for n in notices] == [f"complaint:{cid}:status:{i}" for i in status_ids]
    assert {n.chat_id for n in notices} == {92001}
    _ = gettext_for("en")
    proposal = notices[4]
    assert "Refund &lt;half&gt;" in proposal.text
    assert proposal.reply_markup == {
        "inline_keyboard": [
            [
                {"text": _("Accept"), "callback_data": f"cpact:accept:{cid}"},
                {"text": _("Reject"), "callback_data": f"cpact:reject:{cid}"},
            ]
        ]
    }
    assert notices[2].reply_markup == {
        "inline_keyboard": [[{"text": _("Reply"), "callback_data": f"cpact:reply:{cid}"}]]
    }
    rating_buttons = notices[-1].reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["callback_data"] for b in rating_buttons] == [f"cprat:{cid}:{n}" for n in range(1, 6)]
    final = await session.get(Complaint, cid)
    assert final is not None
    assert (final.status, final.satisfaction, final.satisfaction_comment) == (S.CLOSED, 4, "Quick, thanks")
    assert (final.root_cause, final.corrective_action) == ("yard handling", "Retrain the crane crew")
    assert final.acknowledged_at
    assert final.resolved_at
    assert final.closed_at
    assert final.assigned_to_id == staff_id


async def test_invalid_steps_raise_and_change_nothing(session: AsyncSession) -> None:
    complaint, contact, staff_id = await _filed(session, telegram_user_id=92101)
    cid, customer_id = complaint.id, complaint.customer_id
    before = (await _count(session, ComplaintEvent), await _count(session, Notification))
    refused = [
        flow.start_investigation(session, cid, staff_id, default_locale="zh_CN"),
        flow.ask_customer(session, cid, staff_id, "?", default_locale="zh_CN"),
        flow.propose_resolution(session, cid, staff_id, "x", default_locale="zh_CN"),
        flow.customer_accepts(session, cid, customer_id, contact.id, settings=SETTINGS),
        flow.customer_rejects(session, cid, customer_id, contact.id, "no", settings=SETTINGS),
        flow.customer_answers(session, cid, customer_id, contact.id, "yes", settings=SETTINGS),
        flow.close(session, cid, staff_id, "cause", "action", default_locale="zh_CN"),
        flow.rate(session, cid, customer_id, contact.id, 5),
    ]
    for step in refused:
        with pytest.raises(StepNotPossible):
            await step
    await flow.acknowledge(session, cid, staff_id, default_locale="zh_CN")
    with pytest.raises(StepNotPossible):
        await flow.acknowledge(session, cid, staff_id, default_locale="zh_CN")
    assert (await _count(session, ComplaintEvent), await _count(session, Notification)) == (
        before[0] + 1,
        before[1] + 1,
    )
    stored = await session.get(Complaint, cid)
    assert stored is not None
    assert stored.status == S.ACKNOWLEDGED


async def test_closing_needs_a_root_cause_and_a_corrective_action(session: AsyncSession) -> None:
    complaint, contact, staff_id = await _filed(session)
    cid = complaint.id
    for step in (flow.acknowledge, flow.start_investigation):
        await step(session, cid, staff_id, default_locale="zh_CN")
    await flow.propose_resolution(session, cid, staff_id, "refund", default_locale="zh_CN")
    await flow.customer_accepts(session, cid, complaint.customer_id, contact.id, settings=SETTINGS)
    for cause, action in (("", "retrain"), ("cause", "  "), ("c" * 65, "retrain")):
        with pytest.raises(InvalidInput):
            await flow.close(session, cid, staff_id, cause, action, default_locale="zh_CN")
    stored = await session.get(Complaint, cid)
    assert stored is not None
    assert (stored.status, stored.root_cause) == (S.RESOLVED, None)


async def test_another_company_cannot_touch_a_complaint(session: AsyncSession) -> None:
    complaint, _contact, staff_id = await _filed(session)
    intruder = await make_customer(session)
    intruder_contact = await make_contact(session, intruder)
    for step in (flow.acknowledge, flow.start_investigation):
        await step(session, complaint.id, staff_id, default_locale="zh_CN")
    await flow.propose_resolution(session, complaint.id, staff_id, "refund", default_locale="zh_CN")
    with pytest.raises(ComplaintNotFound):
        await flow.customer_accepts(
            session, complaint.id, intruder.id, intruder_contact.id, settings=SETTINGS
        )
    with pytest.raises(ComplaintNotFound):
        await cards.complaint_card(session, complaint.id, customer_id=intruder.id)
    with pytest.raises(ComplaintNotFound):
        await cards.complaint_card(session, 10**30, customer_id=None)
    assert await cards.customer_complaints(session, intruder.id) == []
    stored = await session.get(Complaint, complaint.id)
    assert stored is not None
    assert stored.status == S.RESOLUTION_PROPOSED


async def test_no_push_to_a_complainant_without_telegram_or_who_blocked_the_bot(
    session: AsyncSession,
) -> None:
    offline, _c1, staff_id = await _filed(session)
    blocked, _c2, _s = await _filed(session, telegram_user_id=92201)
    session.add(ChatUser(telegram_user_id=92201, blocked_at=dt.datetime.now(dt.UTC)))
    await session.commit()
    await flow.acknowledge(session, offline.id, staff_id, default_locale="zh_CN")
    await flow.acknowledge(session, blocked.id, staff_id, default_locale="zh_CN")
    # the confirmation was written while they could still be reached (the outbox skips it now)
    assert await _keys(session) == [f"complaint:{blocked.id}:registered"]


async def test_a_closed_complaint_is_rated_once_with_one_comment(session: AsyncSession) -> None:
    complaint, contact, staff_id = await _filed(session)
    cid, customer_id = complaint.id, complaint.customer_id
    for step in (flow.acknowledge, flow.start_investigation):
        await step(session, cid, staff_id, default_locale="zh_CN")
    await flow.propose_resolution(session, cid, staff_id, "refund", default_locale="zh_CN")
    await flow.customer_accepts(session, cid, customer_id, contact.id, settings=SETTINGS)
    await flow.close(session, cid, staff_id, "cause", "action", default_locale="zh_CN")
    with pytest.raises(InvalidInput):
        await flow.rate(session, cid, customer_id, contact.id, 6)
    await flow.rate(session, cid, customer_id, contact.id, 2)
    await flow.rate(session, cid, customer_id, contact.id, 2)  # pressed again: its question may be lost
    with pytest.raises(AlreadyRated):
        await flow.rate(session, cid, customer_id, contact.id, 5)
    await flow.comment_rating(session, cid, customer_id, "slow")
    with pytest.raises(AlreadyRated):
        await flow.comment_rating(session, cid, customer_id, "again")
    stored = await session.get(Complaint, cid)
    assert stored is not None
    assert (stored.satisfaction, stored.satisfaction_comment) == (2, "slow")
    kinds = await session.scalars(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == cid))
    assert list(kinds).count("rating") == 1
    assert [e.kind for e in await session.scalars(select(ComplaintEvent))].count("rating") == 1


async def test_the_confirmation_is_written_with_the_complaint_and_held_while_the_chat_sends_it(
    session: AsyncSession,
) -> None:
    customer = await make_customer(session)
    contact = await make_contact(session, customer, telegram_user_id=92301, locale="en")
    draft = _draft(customer, contact)
    first = await submit_complaint(session, draft, tz=PORT, default_locale="zh_CN", confirm_in_chat=True)
    assert first.created
    confirmation = first.confirmation
    assert confirmation is not None
    row = await session.get(Notification, confirmation.notification_id)
    assert row is not None
    assert (row.idempotency_key, row.kind, row.chat_id) == (
        f"complaint:{first.complaint.id}:registered",
        "complaint_registered",
        92301,
    )
    ticket = first.complaint.ticket
    assert confirmation.text == REGISTERED.format(ticket=ticket), "in the contact's language"
    assert await _due(session) == [], "held for the chat: the outbox leaves it alone"

    # pressed again (or replayed after a crash) before the chat could send it: held again, the same row
    again = await submitted_by_key(session, customer.id, draft.key, default_locale="zh_CN")
    assert again.confirmation == confirmation
    await confirmation_not_sent(session, confirmation)
    assert await _due(session) == [confirmation.notification_id], "Telegram refused it: the outbox sends it"
    retaken = await submit_complaint(session, draft, tz=PORT, default_locale="zh_CN", confirm_in_chat=True)
    assert (retaken.created, retaken.confirmation) == (False, confirmation)
    assert await _due(session) == []
    await confirmation_sent(session, confirmation, 4321)
    await session.refresh(row)
    assert (row.status, row.telegram_message_id) == (NotificationStatus.SENT, 4321)
    delivered = await submitted_by_key(session, customer.id, draft.key, default_locale="zh_CN")
    assert delivered.confirmation is None, "the customer has had it: a press again is only answered"
    assert await _count(session, Complaint) == 1
    with pytest.raises(DraftGone):
        await submitted_by_key(session, customer.id, "a discarded draft", default_locale="zh_CN")


async def test_a_complaint_filed_outside_the_chat_is_confirmed_by_the_outbox_at_once(
    session: AsyncSession,
) -> None:
    customer = await make_customer(session)
    contact = await make_contact(session, customer, telegram_user_id=92401)
    filed = await submit_complaint(session, _draft(customer, contact), tz=PORT, default_locale="zh_CN")
    assert filed.confirmation is None
    [due] = await _due(session)
    row = await session.get(Notification, due)
    assert row is not None
    assert row.text == gettext_for("zh_CN")(REGISTERED).format(ticket=filed.complaint.ticket), "in Chinese"
    without_chat = await make_contact(session, customer)
    await submit_complaint(session, _draft(customer, without_chat), tz=PORT, default_locale="zh_CN")
    assert len(await _due(session)) == 1, "a contact without Telegram gets no confirmation"


async def _due(session: AsyncSession) -> list[int]:
    return [n.id for n in await outbox.due_by_chat(session, per_chat=10, limit=10)]
