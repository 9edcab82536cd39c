"""Complaint SLA: working time only, paused while awaiting the customer, escalated once per level; digest."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintCategory, ComplaintStatus, Role
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext, run_claimed
from portcrm.jobs.complaint_sla import COMPLAINT_DIGEST, COMPLAINT_SLA
from portcrm.labels import COMPLAINT_STATUS_NAMES
from portcrm.models import ChatUser, Complaint, ComplaintEvent, Customer, Notification
from portcrm.services.complaints.sla import sla_status
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_customer, make_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = ComplaintStatus
_tickets = itertools.count(1)
# February 2026: Fri 13th, Sat 14th a make-up working day, 15th-23rd Spring Festival, Sat 28th make-up again
FRIDAY = dt.date(2026, 2, 13)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def _feb(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return _at(dt.date(2026, 2, day), hour, minute)


def _settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[arg-type]


def _calendar() -> PortCalendar:
    return PortCalendar(_settings())


def _complaint(at: dt.datetime, status: ComplaintStatus = S.SUBMITTED, **kw: object) -> Complaint:
    return Complaint(
        ticket=f"CP-2026-{next(_tickets):06d}",
        category=ComplaintCategory.DELAY,
        department=kw.pop("department", Role.OPERATIONS),
        description="柜子晚了三天",
        status=status,
        created_at=at,
        updated_at=at,
        **kw,
    )


def _step(complaint: Complaint, at: dt.datetime, to: ComplaintStatus) -> ComplaintEvent:
    event = ComplaintEvent(
        complaint_id=complaint.id, at=at, kind="status", from_status=complaint.status, to_status=to
    )
    complaint.status = to
    if to == S.ACKNOWLEDGED:
        complaint.acknowledged_at = at
    return event


async def _filed(session: AsyncSession, customer: Customer, at: dt.datetime, **kw: object) -> Complaint:
    complaint = _complaint(at, customer_id=customer.id, **kw)
    session.add(complaint)
    await session.flush()
    session.add(ComplaintEvent(complaint_id=complaint.id, at=at, kind="created", to_status=S.SUBMITTED))
    return complaint


async def _sent(db: Database, kind: str) -> list[Notification]:
    async with db.session() as session:
        return list(
            await session.scalars(select(Notification).where(Notification.kind == kind).order_by("id"))
        )


async def _run(db: Database, moment: dt.datetime, **settings: object) -> dict[str, int]:
    result = await COMPLAINT_SLA.run(JobContext(db, _settings(**settings), moment))
    return dict(result)


class TestSlaStatus:
    def test_clocks_count_working_time_across_a_weekend_a_holiday_and_make_up_saturdays(self) -> None:
        complaint = _complaint(_feb(13, 16))
        before = sla_status(complaint, [], _calendar(), _feb(14, 10, 59))
        assert before.acknowledge.due == _feb(14, 11), "Fri 16:00 + 4 h: into the make-up Saturday"
        assert not before.acknowledge.overdue
        after = sla_status(complaint, [], _calendar(), _feb(24, 9))
        assert after.acknowledge.elapsed == dt.timedelta(hours=11), "1.5 h Fri + 9 h Sat + 0.5 h Tue"
        assert after.acknowledge.overdue
        assert after.acknowledge.overdue_by == dt.timedelta(hours=7)
        # 45 h: Fri 1.5 + Sat 9 + Tue-Thu 27 leaves 7.5 h on Friday the 27th
        assert after.resolve.due == _feb(27, 16)
        assert not after.resolve.overdue
        assert after.resolve.remaining == dt.timedelta(hours=34)

    def test_time_awaiting_the_customer_does_not_count(self) -> None:
        complaint = _complaint(_feb(13, 16))
        complaint.id = 1
        events = [
            _step(complaint, _feb(13, 16, 30), S.ACKNOWLEDGED),
            _step(complaint, _feb(13, 17), S.INVESTIGATING),
        ]
        events.append(_step(complaint, _feb(24, 10), S.AWAITING_CUSTOMER))
        paused = sla_status(complaint, events, _calendar(), _feb(25, 9))
        assert paused.paused
        assert paused.paused_since == _feb(24, 10)
        assert paused.resolve.elapsed == dt.timedelta(hours=12), "stopped at Tue 10:00"
        assert paused.resolve.due is None
        assert paused.paused_for == dt.timedelta(hours=8)
        assert paused.acknowledge.done
        assert not paused.acknowledge.breached
        events.append(_step(complaint, _feb(25, 10), S.INVESTIGATING))
        resumed = sla_status(complaint, events, _calendar(), _feb(25, 11))
        assert not resumed.paused
        assert resumed.resolve.elapsed == dt.timedelta(hours=13)
        # 9 working hours in the pause push the deadline from Fri 27th 16:00 into the make-up Saturday
        assert resumed.resolve.due == _feb(28, 16)

    def test_a_proposal_stops_the_clock_until_the_customer_accepts_or_rejects_it(self) -> None:
        """Issue 17, defect 4: the customer has the next move on a proposal as much as on a question."""
        complaint = _complaint(_feb(13, 16))
        complaint.id = 2
        events = [
            _step(complaint, _feb(13, 16, 30), S.ACKNOWLEDGED),
            _step(complaint, _feb(13, 17), S.INVESTIGATING),
            _step(complaint, _feb(24, 9), S.AWAITING_CUSTOMER),
            _step(complaint, _feb(24, 10), S.INVESTIGATING),
            _step(complaint, _feb(24, 11), S.RESOLUTION_PROPOSED),
        ]
        weighing = sla_status(complaint, events, _calendar(), _at(dt.date(2026, 3, 20), 9))
        assert weighing.paused
        assert weighing.paused_since == _feb(24, 11)
        assert weighing.resolve.elapsed == dt.timedelta(hours=12), "1.5 h Fri + 9 h Sat + 0.5 h + 1 h Tue"
        assert weighing.resolve.due is None
        assert weighing.overdue == ()
        events.append(_step(complaint, _feb(26, 11), S.INVESTIGATING))  # rejected: our move again
        rejected = sla_status(complaint, events, _calendar(), _feb(26, 12))
        assert not rejected.paused
        assert rejected.resolve.elapsed == dt.timedelta(hours=13)
        assert rejected.pauses == ((_feb(24, 9), _feb(24, 10)), (_feb(24, 11), _feb(26, 11)))

    def test_a_resolved_complaint_stops_its_clocks(self) -> None:
        complaint = _complaint(
            _feb(13, 16), S.RESOLVED, acknowledged_at=_feb(13, 16, 10), resolved_at=_feb(14, 9)
        )
        status = sla_status(complaint, [], _calendar(), _feb(27, 17))
        assert status.resolve.done
        assert status.resolve.elapsed == dt.timedelta(hours=2)
        assert status.overdue == ()


class TestEscalation:
    async def test_the_department_head_first_then_all_managers_a_working_day_later_each_once(
        self, db: Database, session: AsyncSession
    ) -> None:
        head = await make_staff(session, name="运营部经理", roles=(Role.OPERATIONS, Role.MANAGER))
        await make_staff(session, name="运营部职员", roles=(Role.OPERATIONS,))
        boss = await make_staff(session, name="Boss", roles=(Role.MANAGER,))
        market_head = await make_staff(session, name="市场部经理", roles=(Role.MARKET, Role.MANAGER))
        session.add(ChatUser(telegram_user_id=boss.telegram_user_id, locale="en"))
        complaint = await _filed(session, await make_customer(session), _feb(13, 16))
        await session.commit()

        assert (await _run(db, _feb(14, 11)))["escalations"] == 0, "4 working hours, not more"
        assert (await _run(db, _feb(14, 11, 15)))["escalations"] == 1
        assert (await _run(db, _feb(14, 11, 15)))["escalations"] == 0, "the same quarter hour again"
        first = await _sent(db, "complaint_sla")
        assert [(n.idempotency_key, n.chat_id) for n in first] == [
            (f"sla:{complaint.id}:acknowledge:1:{head.id}", head.telegram_user_id)
        ]
        _ = gettext_for("zh_CN")
        assert first[0].text.startswith(
            _("<b>Complaint {ticket} is overdue</b>").format(ticket=complaint.ticket)
        )
        assert (
            _("Not acknowledged within {hours} working hours of submission.").format(hours=4) in first[0].text
        )

        # escalated Sat 11:15; one working day (9 h) later is Tue 24th 11:15, across the Spring Festival
        assert (await _run(db, _feb(23, 17)))["escalations"] == 0
        assert (await _run(db, _feb(24, 11)))["escalations"] == 0
        assert (await _run(db, _feb(24, 11, 15)))["escalations"] == 3
        assert (await _run(db, _feb(26, 9)))["escalations"] == 0, "each level once"
        second = (await _sent(db, "complaint_sla"))[1:]
        assert {n.staff_id for n in second} == {head.id, boss.id, market_head.id}
        assert {n.idempotency_key.rsplit(":", 1)[0] for n in second} == {f"sla:{complaint.id}:acknowledge:2"}
        to_boss = next(n for n in second if n.staff_id == boss.id)
        assert to_boss.text.startswith(
            gettext_for("en")(
                "<b>Complaint {ticket} is still overdue</b>, a working day after it was escalated"
            ).format(ticket=complaint.ticket)
        )

    async def test_without_a_head_the_managers_hear_it_in_their_group_chat(
        self, db: Database, session: AsyncSession
    ) -> None:
        await make_staff(session, roles=(Role.FINANCE,))
        await make_staff(session, roles=(Role.MANAGER,))
        complaint = await _filed(session, await make_customer(session), _feb(13, 9), department=Role.FINANCE)
        await session.commit()
        assert (await _run(db, _feb(13, 14), department_chats={"manager": -100500}))["escalations"] == 1
        sent = await _sent(db, "complaint_sla")
        assert [(n.idempotency_key, n.chat_id) for n in sent] == [
            (f"sla:{complaint.id}:acknowledge:1:chat-100500", -100500)
        ]

    async def test_nothing_escalates_while_awaiting_the_customer_and_the_pause_is_not_held_against_us(
        self, db: Database, session: AsyncSession
    ) -> None:
        await make_staff(session, roles=(Role.OPERATIONS, Role.MANAGER))
        customer, monday = await make_customer(session), dt.date(2026, 3, 2)
        complaint = await _filed(session, customer, _at(monday, 9))
        # already past its 45 h when it went to the customer on the 11th: still, the customer has the move
        overdue = await _filed(session, customer, _at(monday, 9))
        for case, waits_from in ((complaint, dt.date(2026, 3, 3)), (overdue, dt.date(2026, 3, 11))):
            session.add(_step(case, _at(monday, 9, 30), S.ACKNOWLEDGED))
            session.add(_step(case, _at(monday, 10), S.INVESTIGATING))
            session.add(_step(case, _at(waits_from, 9), S.AWAITING_CUSTOMER))
        await session.commit()
        assert await _run(db, _at(dt.date(2026, 3, 13), 9)) == {"open": 2, "overdue": 0, "escalations": 0}
        session.add(_step(complaint, _at(dt.date(2026, 3, 16), 9), S.INVESTIGATING))
        await session.commit()
        # 9 h on the 2nd and 3rd, then from Monday the 16th 09:00 the other 36 h run out on Friday at 09:00
        assert (await _run(db, _at(dt.date(2026, 3, 20), 8, 45)))["overdue"] == 0
        assert (await _run(db, _at(dt.date(2026, 3, 20), 9, 15)))["escalations"] == 1
        sent = await _sent(db, "complaint_sla")
        assert [n.idempotency_key.rsplit(":", 2)[0] for n in sent] == [f"sla:{complaint.id}:resolve"]


class TestDigest:
    async def test_market_managers_get_counts_and_the_oldest_on_working_days_once(
        self, db: Database, session: AsyncSession
    ) -> None:
        market_head = await make_staff(session, roles=(Role.MARKET, Role.MANAGER))
        await make_staff(session, roles=(Role.MANAGER,))
        await make_staff(session, roles=(Role.MARKET,))
        session.add(ChatUser(telegram_user_id=market_head.telegram_user_id, locale="en"))
        customer = await make_customer(session, name="宁波<海>运")
        old = await _filed(session, customer, _feb(12, 9))
        newer = await _filed(session, customer, _feb(13, 10))
        session.add(_step(newer, _feb(13, 11), S.ACKNOWLEDGED))
        done = await _filed(session, customer, _feb(12, 8), status=S.CLOSED)
        await session.commit()

        morning = JobContext(db, _settings(), _feb(24, 8, 30))
        assert await run_claimed(COMPLAINT_DIGEST, morning) == {"open": 2, "digests": 1}
        assert await COMPLAINT_DIGEST.run(morning) == {"open": 2, "digests": 0}, "re-run: nothing new"
        [digest] = await _sent(db, "complaint_digest")
        assert digest.idempotency_key == f"complaint-digest:{market_head.id}:2026-02-24"
        _ = gettext_for("en")
        for line in (
            _("Open: {count}").format(count=2),
            _("Not yet acknowledged: {count}").format(count=1),
            _("Overdue: {count}").format(count=1),
            _("{status}: {count}").format(status=_(COMPLAINT_STATUS_NAMES[S.ACKNOWLEDGED]), count=1),
            _("acknowledgement overdue by {duration}").format(
                duration=_("{hours} h {minutes} min").format(hours=22, minutes=30)
            ),
        ):
            assert line in digest.text
        assert "宁波&lt;海&gt;运" in digest.text
        assert done.ticket not in digest.text
        assert digest.text.index(old.ticket) < digest.text.index(newer.ticket)

        holiday = JobContext(db, _settings(), _feb(17, 8, 30))
        assert await COMPLAINT_DIGEST.run(holiday) == {"open": 0, "digests": 0}
