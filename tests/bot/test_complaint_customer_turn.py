"""The customer's turn on a complaint, through the real bot: the SLA clock waits while the customer weighs a
proposal, and their answer moves the complaint on, updates their message and tells the handler and the desk.

Issue 17, defects 4 (CP-2026-000028 escalated in "resolution proposed") and 5 (an accepted proposal still
read "resolution proposed", and the staff were not told).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from sqlalchemy import select

from portcrm.enums import ComplaintCategory, ComplaintStatus, NotificationStatus, Role
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext
from portcrm.jobs.complaint_sla import COMPLAINT_SLA
from portcrm.labels import COMPLAINT_STATUS_NAMES
from portcrm.models import Complaint, ComplaintEvent, Notification
from portcrm.services.complaints import flow
from portcrm.services.complaints.intake import ROUTING, ComplaintDraft, submit_complaint
from portcrm.services.complaints.notices import registered_key
from sandbox import Mark, SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot, running_bot

S = ComplaintStatus
DESK_CHAT = -100617  # the operations department's group chat


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def _labels(message: SentMessage) -> list[str]:
    return [label for row in message.buttons for label, _data in row]


async def _notice(
    app: RunningBot, chat: SandboxUser | int, after: Mark | SentMessage, text: str
) -> SentMessage:
    """The first message after `after` that contains `text` (pushes arrive in order, through the outbox)."""
    message = await app.sandbox.wait_for_reply(chat, after=after, token=TOKEN)
    while text not in (message.text or ""):
        message = await app.sandbox.wait_for_reply(chat, after=message, token=TOKEN)
    return message


async def _status(app: RunningBot, complaint_id: int) -> ComplaintStatus:
    async with app.db.session() as session:
        complaint = await session.get(Complaint, complaint_id)
        await session.commit()
    assert complaint is not None
    return complaint.status


async def _sla_run(app: RunningBot) -> dict[str, int]:
    return dict(await COMPLAINT_SLA.run(JobContext(app.db, app.settings, dt.datetime.now(dt.UTC))))


async def _proposed_weeks_ago(
    app: RunningBot, handler_id: int, contact_id: int, customer_id: int
) -> Complaint:
    """Filed on Monday 2 March 2026 at 09:00, a resolution proposed an hour later, and no answer since."""
    filed = dt.datetime(2026, 3, 2, 9, tzinfo=app.settings.tz)
    async with app.db.session() as session:
        complaint = Complaint(
            ticket="CP-2026-000028",
            customer_id=customer_id,
            contact_id=contact_id,
            category=ComplaintCategory.DELAY,
            department=ROUTING[ComplaintCategory.DELAY],
            description="柜子晚了三天",
            status=S.RESOLUTION_PROPOSED,
            assigned_to_id=handler_id,
            acknowledged_at=filed + dt.timedelta(minutes=10),
            resolution="We waive three days of storage.",
            created_at=filed,
            updated_at=filed,
        )
        session.add(complaint)
        await session.flush()
        session.add(
            ComplaintEvent(complaint_id=complaint.id, at=filed, kind="created", to_status=S.SUBMITTED)
        )
        for minutes, before, after in (
            (10, S.SUBMITTED, S.ACKNOWLEDGED),
            (20, S.ACKNOWLEDGED, S.INVESTIGATING),
            (60, S.INVESTIGATING, S.RESOLUTION_PROPOSED),
        ):
            session.add(
                ComplaintEvent(
                    complaint_id=complaint.id,
                    at=filed + dt.timedelta(minutes=minutes),
                    kind="status",
                    from_status=before,
                    to_status=after,
                    staff_id=handler_id,
                )
            )
        await session.commit()
        return complaint


async def test_the_sla_clock_stands_still_while_the_customer_weighs_a_proposal(app: RunningBot) -> None:
    async with app.db.session() as session:
        handler = await make_staff(session, telegram_user_id=9611, name="赵处理", roles=(Role.OPERATIONS,))
        await make_staff(session, telegram_user_id=9612, roles=(Role.OPERATIONS, Role.MANAGER))
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=9613)
        await session.commit()
    complaint = await _proposed_weeks_ago(app, handler.id, contact.id, customer.id)
    en, cn = gettext_for("en"), gettext_for("zh_CN")
    staff = app.user(9611, language_code="en")
    client = app.user(9613, language_code="zh-hans")
    await app.say(staff, "/start")

    # weeks past the 5 working days, but all of it the customer's time: nothing escalates
    assert await _sla_run(app) == {"open": 1, "overdue": 0, "escalations": 0}
    queue = await app.say(staff, "/queue")
    assert complaint.ticket in queue.text
    assert en("paused: waiting for customer") in queue.text

    # the customer turns it down: their move is made, the handler hears it, and the clock runs again
    listing = await app.say(client, "/complaints")
    card = await app.press(client, listing, complaint.ticket)
    assert _labels(card) == [cn("Accept"), cn("Reject")]
    await app.press(client, card, cn("Reject"))
    mark = app.sandbox.mark()
    await app.say(client, "三天不够，要免五天")
    told = await _notice(app, staff, mark, "三天不够，要免五天")
    assert _plain(told.text).startswith(
        _plain(en("<b>Complaint {ticket}</b>: the customer rejected the proposed resolution.")).format(
            ticket=complaint.ticket
        )
    )
    assert await _status(app, complaint.id) == S.INVESTIGATING
    queue = await app.say(staff, "/queue")
    assert en("paused: waiting for customer") not in queue.text
    assert en("resolve due in {duration}").split("{")[0] in queue.text, "an hour used, 44 to go"
    assert await _sla_run(app) == {"open": 1, "overdue": 0, "escalations": 0}


async def _filed(app: RunningBot, customer_id: int, contact_id: int) -> Complaint:
    """A complaint filed outside the chat; returns once the outbox has dealt with its confirmation."""
    async with app.db.session() as session:
        draft = ComplaintDraft(
            key=f"turn-{contact_id}",
            customer_id=customer_id,
            contact_id=contact_id,
            category=ComplaintCategory.CARGO_DAMAGE,
            description="Two cartons were crushed at the gate.",
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


async def test_accepting_a_proposal_resolves_it_updates_the_message_and_tells_the_handler_and_the_desk(
    database_url: str,
) -> None:
    async with running_bot(
        database_url,
        department_chats={"operations": DESK_CHAT},
        before_start=lambda sandbox: sandbox.add_group(DESK_CHAT, "运营部"),
    ) as app:
        async with app.db.session() as session:
            handler = await make_staff(
                session, telegram_user_id=9621, name="陳處理", roles=(Role.OPERATIONS,)
            )
            customer = await make_customer(session)
            contact = await make_contact(session, customer, telegram_user_id=9622)
            await session.commit()
        staff = app.user(9621, language_code="zh-hant")
        client = app.user(9622, language_code="en")
        await app.say(staff, "/start")
        await app.say(client, "/start")
        complaint = await _filed(app, customer.id, contact.id)
        async with app.db.session() as session:
            await flow.acknowledge(session, complaint.id, handler.id, default_locale="zh_CN")
            await flow.start_investigation(session, complaint.id, handler.id, default_locale="zh_CN")
            mark = app.sandbox.mark()
            await flow.propose_resolution(
                session, complaint.id, handler.id, "We pay for the two cartons.", default_locale="zh_CN"
            )
        en, tw, cn = gettext_for("en"), gettext_for("zh_TW"), gettext_for("zh_CN")
        proposal = await _notice(app, client, mark, "We pay for the two cartons.")
        assert _labels(proposal) == [en("Accept"), en("Reject")]

        mark = app.sandbox.mark()
        update = app.sandbox.press(TOKEN, client, proposal, en("Accept"))
        answer = await app.sandbox.wait_for_answer(update)
        assert answer.text == en("Thank you! Complaint {ticket} is resolved.").format(ticket=complaint.ticket)
        assert await _status(app, complaint.id) == S.RESOLVED

        # the pressed message no longer asks: it is the card, resolved, with nothing left to press
        resolved = en("Status: {status}").format(status=en(COMPLAINT_STATUS_NAMES[S.RESOLVED]))
        updated = await _notice(app, client, mark, resolved)
        assert updated.message_id == proposal.message_id
        assert updated.edited
        assert "We pay for the two cartons." in updated.text
        assert _labels(updated) == []

        # the handler hears it in Traditional Chinese, and its button opens the card at its new stage
        head = tw("<b>Complaint {ticket}</b>: the customer accepted the proposed resolution.")
        told = await _notice(app, staff, mark, _plain(head.format(ticket=complaint.ticket)))
        assert tw("Close it with the root cause and the corrective action.") in told.text
        card = await app.press(staff, told, tw("Open complaint"))
        assert tw("Status: {status}").format(status=tw(COMPLAINT_STATUS_NAMES[S.RESOLVED])) in card.text
        assert tw("Close") in _labels(card)

        # and the department's desk, in the port's language
        desk = await _notice(app, DESK_CHAT, mark, complaint.ticket)
        assert _plain(desk.text).startswith(
            _plain(cn("<b>Complaint {ticket}</b>: the customer accepted the proposed resolution.")).format(
                ticket=complaint.ticket
            )
        )
        async with app.db.session() as session:
            keys = set(
                await session.scalars(
                    select(Notification.idempotency_key).where(Notification.kind == "complaint_customer_move")
                )
            )
            await session.commit()
        assert {key.rsplit(":", 1)[1] for key in keys} == {str(handler.id), f"chat{DESK_CHAT}"}
