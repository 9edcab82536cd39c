"""Closing a complaint through the real bot: what each side is shown, and the verification revisit it plans.

Issue 17, defects 2 (the verification revisit was booked as a phone visit made, dated now, in English) and 3
(the closed card showed neither the root cause nor the corrective action).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from portcrm.enums import ComplaintCategory, ComplaintStatus, ContactMethod, Grade, Role
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext
from portcrm.jobs.revisits import REVISIT_REMINDERS
from portcrm.labels import COMPLAINT_STATUS_NAMES
from portcrm.models import Complaint, ComplaintEvent, Visit
from portcrm.services.complaints.intake import ROUTING
from sandbox import Mark, SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

S = ComplaintStatus
ACTION = "Agreed a new cut-off time with the shipping line & briefed the gate <night> shift."


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def _labels(message: SentMessage) -> list[str]:
    return [label for row in message.buttons for label, _data in row]


async def _notice(app: RunningBot, user: SandboxUser, after: Mark | SentMessage, text: str) -> SentMessage:
    message = await app.sandbox.wait_for_reply(user, after=after, token=TOKEN)
    while text not in (message.text or ""):
        message = await app.sandbox.wait_for_reply(user, after=message, token=TOKEN)
    return message


async def _resolved(app: RunningBot, customer_id: int, contact_id: int, handler_id: int) -> Complaint:
    """A delay complaint whose resolution the customer accepted: the desk's Close is next."""
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    async with app.db.session() as session:
        complaint = Complaint(
            ticket="CP-2026-000731",
            customer_id=customer_id,
            contact_id=contact_id,
            category=ComplaintCategory.DELAY,
            department=ROUTING[ComplaintCategory.DELAY],
            description="柜子晚了三天",
            status=S.RESOLVED,
            assigned_to_id=handler_id,
            acknowledged_at=at,
            resolved_at=at + dt.timedelta(hours=5),
            resolution="免收三天堆存费",
            created_at=at,
            updated_at=at,
        )
        session.add(complaint)
        await session.flush()
        session.add(
            ComplaintEvent(
                complaint_id=complaint.id,
                at=at + dt.timedelta(hours=5),
                kind="status",
                from_status=S.RESOLUTION_PROPOSED,
                to_status=S.RESOLVED,
                contact_id=contact_id,
            )
        )
        await session.commit()
        return complaint


async def _close_at_the_desk(app: RunningBot, staff: SandboxUser, ticket: str) -> SentMessage:
    """Close → Third party → the corrective action; returns the card shown afterwards."""
    en = gettext_for("en")
    queue = await app.say(staff, "/queue")
    card = await app.press(staff, queue, next(label for label in _labels(queue) if label.startswith(ticket)))
    causes = await app.press(staff, card, en("Close"))
    ask = await app.press(staff, causes, en("Third party"))
    assert en("The customer will see it as “What we changed”; the root cause stays with us.") in ask.text
    saved = await app.say(staff, ACTION)
    assert saved.text == en("Saved.")
    return await app.sandbox.wait_for_reply(staff, after=saved, token=TOKEN)


async def test_the_closed_card_shows_staff_the_root_cause_and_the_customer_what_we_changed(
    app: RunningBot,
) -> None:
    async with app.db.session() as session:
        handler = await make_staff(session, telegram_user_id=9711, name="赵操作", roles=(Role.OPERATIONS,))
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=9712)
        await session.commit()
    complaint = await _resolved(app, customer.id, contact.id, handler.id)
    staff = app.user(9711, language_code="en")
    client = app.user(9712, language_code="zh-hans")
    await app.say(client, "/start")
    en, cn = gettext_for("en"), gettext_for("zh_CN")

    mark = app.sandbox.mark()
    card = await _close_at_the_desk(app, staff, complaint.ticket)
    assert en("Status: {status}").format(status=en(COMPLAINT_STATUS_NAMES[S.CLOSED])) in card.text
    assert en("Root cause: {cause}").format(cause=en("Third party")) in card.text
    assert _plain(en("<b>Corrective action</b>")) + "\n" + ACTION in card.text

    # the customer is told what changed, never the internal classification
    what_we_changed = _plain(cn("<b>What we changed</b>"))
    pushed = await _notice(app, client, mark, what_we_changed)
    assert what_we_changed + "\n" + ACTION in pushed.text
    assert (
        cn("Your complaint is closed. How satisfied are you with how we handled it (1 to 5)?") in pushed.text
    )
    listing = await app.say(client, "/complaints")
    mine = await app.press(client, listing, complaint.ticket)
    assert what_we_changed + "\n" + ACTION in mine.text
    assert "免收三天堆存费" in mine.text
    for internal in (cn("Third party"), "third_party", _plain(cn("<b>Corrective action</b>"))):
        assert internal not in mine.text
        assert internal not in pushed.text


async def test_closing_plans_the_verification_revisit_and_only_a_logged_visit_makes_it(
    app: RunningBot,
) -> None:
    today = dt.datetime.now(app.settings.tz).date()
    async with app.db.session() as session:
        manager = await make_staff(session, telegram_user_id=9721, name="王经理", roles=(Role.MARKET,))
        handler = await make_staff(session, telegram_user_id=9722, name="赵操作", roles=(Role.OPERATIONS,))
        customer = await make_customer(
            session, code="NB9721", name="宁波核实货代", grade=Grade.B, account_manager_id=manager.id
        )
        contact = await make_contact(session, customer, telegram_user_id=9723)
        earlier = Visit(  # the last real visit: its next revisit is a month away
            customer_id=customer.id,
            staff_id=manager.id,
            method=ContactMethod.ON_SITE,
            occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=60),
            notes="上门拜访",
            next_revisit_on=today + dt.timedelta(days=30),
        )
        session.add(earlier)
        await session.commit()
    complaint = await _resolved(app, customer.id, contact.id, handler.id)
    marketer = app.user(9721, language_code="zh-hans")
    await app.say(marketer, "/start")
    cn = gettext_for("zh_CN")

    await _close_at_the_desk(app, app.user(9722, language_code="en"), complaint.ticket)
    async with app.db.session() as session:
        visits = list(await session.scalars(select(Visit).where(Visit.customer_id == customer.id)))
        await session.commit()
    assert [v.id for v in visits] == [earlier.id], "nothing is recorded as a visit made"
    # planned a few working days ahead: not due yet
    assert (await app.say(marketer, "/today")).text == cn("No revisits are due today.")

    # weeks later, the verification is due before the customer's regular revisit
    async with app.db.session() as session:
        closed = await session.get(Complaint, complaint.id)
        assert closed is not None
        assert closed.closed_at is not None
        closed.closed_at -= dt.timedelta(days=21)
        await session.commit()
    due = await app.say(marketer, "/today")
    verify = cn("verify the corrective action of {ticket}").format(ticket=complaint.ticket)
    assert "宁波核实货代" in due.text
    assert verify in due.text
    assert cn("Log: {customer}").format(customer="宁波核实货代") in _labels(due)
    mark = app.sandbox.mark()
    moment = dt.datetime.now(dt.UTC)
    assert (await REVISIT_REMINDERS.run(JobContext(app.db, app.settings, moment)))["reminders"] == 1
    reminder = await _notice(app, marketer, mark, complaint.ticket)
    assert verify in reminder.text

    # the account manager makes the call and logs it: the verification is done
    saved = await app.say(marketer, "/visit NB9721 电话回访，新的截关时间已执行，客户满意")
    assert _plain(cn("<b>Visit saved</b>")) in saved.text
    assert (await app.say(marketer, "/today")).text == cn("No revisits are due today.")
