"""Monthly grading: scores checkable by hand, proposals only for changes, and the managers' decision."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CreditRating, CustomerStatus, EvaluationStatus, Grade, Role, ShipmentDirection
from portcrm.errors import Forbidden
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext, run_claimed
from portcrm.jobs.grading import GRADING, MAX_TEXT, summary
from portcrm.models import (
    AuditEntry,
    ChatUser,
    Container,
    Customer,
    GradeEvaluation,
    Invoice,
    Notification,
    Payment,
)
from portcrm.services.grading.scores import (
    CRITERIA,
    EvaluationDecided,
    EvaluationNotFound,
    EvaluationOutdated,
    Facts,
    approve_evaluation,
    assess,
    pending_evaluations,
    percentile_points,
    reject_evaluation,
    score_customers,
)
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_customer, make_invoice, make_shipment, make_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUN_DAY = dt.date(2027, 3, 1)  # scores 2026-03-01 … 2027-02-28
AS_OF = RUN_DAY - dt.timedelta(days=1)
DEFAULT_WEIGHTS = {"volume": 0.3, "revenue": 0.25, "credit": 0.2, "payment": 0.15, "years": 0.1}
THRESHOLDS = {"A": 70.0, "B": 45.0}
_refs = itertools.count(1)


def _ctx(db: Database, day: dt.date = RUN_DAY, **settings: object) -> JobContext:
    moment = dt.datetime.combine(day, dt.time(6), tzinfo=SHANGHAI)
    return JobContext(db, Settings(_env_file=None, **settings), moment)  # type: ignore[arg-type]


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


async def _boxes(
    session: AsyncSession, customer: Customer, sizes: list[str | None], **shipment: object
) -> None:
    """A shipment with one container per size type."""
    made = await make_shipment(session, customer, **shipment)
    session.add_all(
        Container(shipment_id=made.id, number=f"TEST{next(_refs):07d}", size_type=s) for s in sizes
    )
    await session.flush()


async def _paid(session: AsyncSession, invoice: Invoice, *parts: tuple[dt.date, str]) -> None:
    """Payments against the invoice, and its paid amount as the importer would leave it."""
    for day, amount in parts:
        session.add(
            Payment(
                reference=f"PAY{next(_refs):06d}",
                customer_id=invoice.customer_id,
                invoice_id=invoice.id,
                paid_on=day,
                amount=Decimal(amount),
                currency=invoice.currency,
            )
        )
        invoice.paid_amount += Decimal(amount)
    invoice.settled = invoice.paid_amount >= invoice.amount
    await session.flush()


class TestScoring:
    """Four customers whose points are worked out in the comments."""

    @staticmethod
    def population() -> list[Facts]:
        return [
            # volume ranks 3/3 → 100; CNY revenue 2/2 → 100; AAA 100; all on time 100; 12 years → 100
            Facts(1, "Big", Grade.B, CreditRating.AAA, 12, 300, {"CNY": Decimal(3_000_000)}, 10, 10, 0),
            # volume 1/3 → 33.3; CNY 1/2 → 50; BBB 65; (3×100 − 2×10)/4 = 70; 3 years → 30
            Facts(2, "Mid", Grade.B, CreditRating.BBB, 3, 100, {"CNY": Decimal(1_000_000)}, 4, 3, 10),
            # no volume 0; the only USD customer → 100; unrated 40; nothing due 50 (capped at 50); unknown 0
            Facts(
                3, "Dollar", Grade.C, None, None, 0, {"USD": Decimal(50_000)}, overdue={"USD": Decimal(10)}
            ),
            # volume 2/3 → 66.7; nothing invoiced 0; C 0; (0 − 2×40)/2 → 0; 1 year → 10
            Facts(4, "Late", Grade.A, CreditRating.C, 1, 200, {}, 2, 0, 40, {"CNY": Decimal(5000)}),
        ]

    def test_each_criterion_is_scaled_and_weighted_as_documented(self) -> None:
        result = {a.name: a for a in assess(self.population(), DEFAULT_WEIGHTS, THRESHOLDS)}
        points = {name: {c.name: round(c.points, 1) for c in a.criteria} for name, a in result.items()}
        assert points["Big"] == {"volume": 100, "revenue": 100, "credit": 100, "payment": 100, "years": 100}
        assert points["Mid"] == {"volume": 33.3, "revenue": 50, "credit": 65, "payment": 70, "years": 30}
        assert points["Dollar"] == {"volume": 0, "revenue": 100, "credit": 40, "payment": 50, "years": 0}
        assert points["Late"] == {"volume": 66.7, "revenue": 0, "credit": 0, "payment": 0, "years": 10}
        # 0.3×33.33 + 0.25×50 + 0.2×65 + 0.15×70 + 0.1×30 = 49.0; Dollar 25 + 8 + 7.5 = 40.5; Late 20 + 1
        scores = {name: (a.score, a.grade) for name, a in result.items()}
        assert scores == {
            "Big": (Decimal("100.0"), Grade.A),
            "Mid": (Decimal("49.0"), Grade.B),
            "Dollar": (Decimal("40.5"), Grade.C),
            "Late": (Decimal("21.0"), Grade.C),
        }
        assert [a.name for a in result.values() if a.changed] == ["Big", "Late"]
        assert result["Big"].upgrade
        assert not result["Late"].upgrade

    def test_weights_change_the_outcome_and_need_not_sum_to_one(self) -> None:
        by_volume = {a.name: a.grade for a in assess(self.population(), {"volume": 5}, THRESHOLDS)}
        assert by_volume == {"Big": Grade.A, "Mid": Grade.C, "Dollar": Grade.C, "Late": Grade.B}
        scaled = {k: v * 4 for k, v in DEFAULT_WEIGHTS.items()}
        same = [a.score for a in assess(self.population(), scaled, THRESHOLDS)]
        assert same == [a.score for a in assess(self.population(), DEFAULT_WEIGHTS, THRESHOLDS)]

    def test_a_score_on_the_threshold_earns_the_grade(self) -> None:
        mid = self.population()
        assert [a.grade for a in assess(mid, DEFAULT_WEIGHTS, {"A": 70, "B": 49})][1] == Grade.B
        assert [a.grade for a in assess(mid, DEFAULT_WEIGHTS, {"A": 70, "B": 49.1})][1] == Grade.C
        assert [a.grade for a in assess(mid, DEFAULT_WEIGHTS, {"A": 49, "B": 10})][1] == Grade.A

    def test_misconfigured_weights_and_thresholds_are_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown keys"):
            assess(self.population(), {"volumn": 1}, THRESHOLDS)
        with pytest.raises(ValueError, match="positive"):
            assess(self.population(), {"volume": 0}, THRESHOLDS)
        with pytest.raises(ValueError, match="thresholds"):
            assess(self.population(), DEFAULT_WEIGHTS, {"A": 40, "B": 60})

    def test_ties_share_their_rank_and_nothing_earns_nothing(self) -> None:
        assert percentile_points({1: 10, 2: 10, 3: 30, 4: 0}) == {1: 50.0, 2: 50.0, 3: 100.0, 4: 0.0}


async def test_the_twelve_months_are_measured_from_shipments_and_the_ledger(session: AsyncSession) -> None:
    x = await make_customer(session, credit_rating=CreditRating.A, cooperation_since=dt.date(2020, 3, 1))
    await make_customer(session, name="Suspended", status=CustomerStatus.SUSPENDED)
    export, inbound = ShipmentDirection.EXPORT, ShipmentDirection.IMPORT
    await _boxes(session, x, ["22G1", "45G1", "L5G1", None], direction=export, etd=_at(dt.date(2026, 6, 10)))
    await _boxes(session, x, ["42G1"], direction=inbound, ata=_at(AS_OF, 23), eta=_at(RUN_DAY, 8))
    await _boxes(session, x, ["22G1"], direction=inbound, eta=_at(dt.date(2026, 9, 1)))  # no ata: the eta
    await _boxes(session, x, ["45G1"], direction=export, etd=_at(dt.date(2026, 2, 28), 23))  # before
    await _boxes(session, x, ["45G1"], direction=inbound, eta=_at(RUN_DAY, 8))  # after
    on_time = await make_invoice(session, x, issued_on=dt.date(2026, 5, 1), amount=Decimal(10_000))
    await _paid(session, on_time, (dt.date(2026, 5, 31), "10000"))
    ten_late = await make_invoice(session, x, issued_on=dt.date(2026, 6, 1), amount=Decimal(20_000))
    await _paid(session, ten_late, (dt.date(2026, 7, 5), "10000"), (dt.date(2026, 7, 11), "10000"))
    await make_invoice(session, x, issued_on=dt.date(2026, 7, 2), amount=Decimal(5000), settled=True)
    await make_invoice(
        session,
        x,
        issued_on=dt.date(2027, 1, 9),
        due_on=dt.date(2027, 2, 8),
        amount=Decimal(5000),
        currency="USD",
    )  # unpaid: 20 days late at the end of February
    outside = await make_invoice(session, x, issued_on=dt.date(2026, 1, 1), amount=Decimal(99_000))
    await _paid(session, outside, (dt.date(2026, 3, 30), "99000"))
    await session.commit()

    [a] = await score_customers(session, AS_OF, DEFAULT_WEIGHTS, THRESHOLDS, tz=SHANGHAI)
    values = {c.name: c.value for c in a.criteria}
    assert values["volume"] == 1 + 2 + 2 + 1 + 2 + 1
    assert values["revenue"] == {"CNY": "35000.00", "USD": "5000.00"}
    assert values["credit"] == "A"
    assert values["payment"] == {
        "due": 4,
        "on_time": 2,
        "average_days_late": 7.5,
        "overdue": {"USD": "5000.00"},
    }
    assert values["years"] == 6  # the seventh anniversary is on the run day itself
    payment = next(c for c in a.criteria if c.name == "payment")
    assert payment.points == pytest.approx((2 * 100 - 2 * 30) / 4)
    assert payment.reason.render() == (
        "Paid on time: 2 of 4 invoices, 7.5 days late on average; overdue now: USD 5,000.00"
    )


async def _population(session: AsyncSession) -> dict[str, Customer]:
    """Big (C, earns A), Small (A, earns C), Steady (B, stays B), and a terminated A nobody scores."""
    big = await make_customer(
        session,
        name="Big & Co",
        grade=Grade.C,
        credit_rating=CreditRating.AAA,
        cooperation_since=dt.date(2010, 1, 1),
    )
    small = await make_customer(session, name="Small", grade=Grade.A, credit_rating=CreditRating.C)
    steady = await make_customer(
        session,
        name="Steady",
        grade=Grade.B,
        credit_rating=CreditRating.BBB,
        cooperation_since=dt.date(2021, 6, 1),
    )
    await make_customer(session, name="Gone", grade=Grade.A, status=CustomerStatus.TERMINATED)
    await _boxes(session, big, ["45G1"] * 5, etd=_at(dt.date(2026, 10, 1)))
    await _boxes(session, steady, ["22G1"] * 4, etd=_at(dt.date(2026, 10, 1)))
    for customer, amount in ((big, "100000"), (steady, "40000")):
        invoice = await make_invoice(
            session, customer, issued_on=dt.date(2026, 10, 1), amount=Decimal(amount)
        )
        await _paid(session, invoice, (dt.date(2026, 10, 20), amount))
    return {"big": big, "small": small, "steady": steady}


async def test_a_run_proposes_only_changed_grades_and_tells_each_manager_once(
    db: Database, session: AsyncSession
) -> None:
    customers = await _population(session)
    chinese = await make_staff(session, roles=(Role.MANAGER,), telegram_user_id=6001)
    english = await make_staff(session, roles=(Role.MANAGER, Role.MARKET), telegram_user_id=6002)
    await make_staff(session, roles=(Role.MANAGER,), telegram_user_id=6003, active=False)
    await make_staff(session, roles=(Role.MANAGER,), telegram_user_id=None)
    await make_staff(session, roles=(Role.MARKET,), telegram_user_id=6004)
    session.add(ChatUser(telegram_user_id=6002, locale="en"))
    await session.commit()

    result = await run_claimed(GRADING, _ctx(db))
    assert result == {"assessed": 3, "proposed": 2, "upgrades": 1, "downgrades": 1, "notified": 2}
    rows = list(await session.scalars(select(GradeEvaluation).order_by(GradeEvaluation.customer_id)))
    assert [(r.customer_id, r.period, r.previous_grade, r.proposed_grade, r.status) for r in rows] == [
        (customers["big"].id, "2027-03", Grade.C, Grade.A, EvaluationStatus.PROPOSED),
        (customers["small"].id, "2027-03", Grade.A, Grade.C, EvaluationStatus.PROPOSED),
    ]
    big_reasons = rows[0].reasons
    assert [r["criterion"] for r in big_reasons] == list(CRITERIA)
    assert {"criterion", "value", "points", "text"} <= set(big_reasons[0])
    assert big_reasons[0] | {"params": None} == {
        "criterion": "volume",
        "value": 10,
        "points": 100.0,
        "text": "Volume: 10 TEU in the last 12 months",
        "msgid": "Volume: {teu} TEU in the last 12 months",
        "params": None,
    }
    assert rows[0].score == Decimal("100.0")
    await session.refresh(customers["big"])
    assert customers["big"].grade == Grade.C, "the grade waits for a manager"
    await session.commit()

    notices = list(await session.scalars(select(Notification).order_by(Notification.chat_id)))
    assert [(n.chat_id, n.idempotency_key, n.staff_id) for n in notices] == [
        (6001, f"grading:2027-03:{chinese.id}", chinese.id),
        (6002, f"grading:2027-03:{english.id}", english.id),
    ]
    for notice, locale in zip(notices, ("zh_CN", "en"), strict=True):
        _ = gettext_for(locale)
        assert _("Upgrades proposed: {count}").format(count=1) in notice.text
        assert _("Downgrades proposed: {count}").format(count=1) in notice.text
        assert "Big &amp; Co" in notice.text
        assert "Steady" not in notice.text
        assert _("Credit rating: {rating}").format(rating="AAA") in notice.text
        assert _("Every customer keeps its grade until a manager approves the proposal.") in notice.text
        assert notice.text.index("Big &amp; Co") < notice.text.index("Small"), "upgrades first"
    await session.commit()  # SQLite: let the next run write

    assert await run_claimed(GRADING, _ctx(db)) is None
    again = await GRADING.run(_ctx(db))  # even run outside the claim, nothing is proposed or sent twice
    assert (again["proposed"], again["notified"]) == (0, 0)
    assert len(list(await session.scalars(select(GradeEvaluation)))) == 2
    assert len(list(await session.scalars(select(Notification)))) == 2


async def test_a_managers_group_chat_gets_the_one_summary(db: Database, session: AsyncSession) -> None:
    await _population(session)
    await make_staff(session, roles=(Role.MANAGER,), telegram_user_id=6001)
    await session.commit()
    result = await GRADING.run(_ctx(db, department_chats={"manager": -100777}, default_locale="en"))
    assert result["notified"] == 1
    [notice] = list(await session.scalars(select(Notification)))
    assert (notice.chat_id, notice.idempotency_key) == (-100777, "grading:2027-03:chat-100777")
    assert gettext_for("en")("Customers assessed: {count}").format(count=3) in notice.text


def test_the_summary_fits_one_message_however_many_change() -> None:
    crowd = [
        Facts(
            n,
            "宁波" + "很长的公司名称" * 40,
            Grade.C,
            CreditRating.AAA,
            20,
            100 + n,
            {"CNY": Decimal(n), "USD": Decimal(n)},
        )
        for n in range(1, 41)
    ]
    changed = assess(crowd, DEFAULT_WEIGHTS, THRESHOLDS)
    for locale in ("zh_CN", "en"):
        _ = gettext_for(locale)
        text = summary("2027-03", 40, changed, _)
        assert len(text) <= MAX_TEXT
        shown = text.count(" → ")
        assert 1 <= shown <= 5
        assert _("… and {count} more").format(count=40 - shown) in text


async def _proposal(
    session: AsyncSession, customer: Customer, proposed: Grade, period: str = "2027-03"
) -> GradeEvaluation:
    evaluation = GradeEvaluation(
        customer_id=customer.id,
        period=period,
        previous_grade=customer.grade,
        proposed_grade=proposed,
        score=Decimal("88.0"),
        reasons=[
            {
                "criterion": "volume",
                "value": 10,
                "points": 100.0,
                "text": "Volume: 10 TEU in the last 12 months",
            }
        ],
    )
    session.add(evaluation)
    await session.commit()
    return evaluation


async def test_a_manager_approves_once_and_the_audit_log_says_who(session: AsyncSession) -> None:
    customer = await make_customer(session, grade=Grade.C)
    manager = await make_staff(session, roles=(Role.MANAGER,))
    marketer = await make_staff(session, roles=(Role.MARKET,))
    evaluation = await _proposal(session, customer, Grade.A)
    evaluation_id, customer_id, manager_id, marketer_id = evaluation.id, customer.id, manager.id, marketer.id

    with pytest.raises(Forbidden):
        await approve_evaluation(session, evaluation_id, marketer_id)
    with pytest.raises(EvaluationNotFound):
        await approve_evaluation(session, evaluation_id + 1000, manager_id)
    decided = await approve_evaluation(session, evaluation_id, manager_id)
    assert (decided.status, decided.decided_by_id) == (EvaluationStatus.APPROVED, manager_id)
    assert decided.decided_at is not None
    refreshed = await session.get(Customer, customer_id, populate_existing=True)
    assert refreshed is not None
    assert (refreshed.grade, refreshed.grade_reasons) == (Grade.A, decided.reasons)
    assert refreshed.graded_at is not None
    grade_change = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.customer_id == customer_id, AuditEntry.action == "update", AuditEntry.field == "grade"
        )
    )
    assert grade_change is not None
    assert (grade_change.old_value, grade_change.new_value, grade_change.staff_id) == ("C", "A", manager_id)
    await session.commit()

    with pytest.raises(EvaluationDecided):
        await approve_evaluation(session, evaluation_id, manager_id)
    with pytest.raises(EvaluationDecided):
        await reject_evaluation(session, evaluation_id, manager_id)


async def test_a_rejected_proposal_leaves_the_grade_and_cannot_be_approved(session: AsyncSession) -> None:
    customer = await make_customer(session, grade=Grade.B)
    manager = await make_staff(session, roles=(Role.MANAGER,))
    evaluation = await _proposal(session, customer, Grade.C)
    evaluation_id, customer_id, manager_id = evaluation.id, customer.id, manager.id
    rejected = await reject_evaluation(session, evaluation_id, manager_id)
    assert (rejected.status, rejected.decided_by_id) == (EvaluationStatus.REJECTED, manager_id)
    with pytest.raises(EvaluationDecided):
        await approve_evaluation(session, evaluation_id, manager_id)
    refreshed = await session.get(Customer, customer_id, populate_existing=True)
    assert refreshed is not None
    assert refreshed.grade == Grade.B
    changes = select(AuditEntry.id).where(AuditEntry.action == "update", AuditEntry.field == "grade")
    assert await session.scalar(changes) is None


async def test_only_the_latest_current_proposal_can_be_approved(session: AsyncSession) -> None:
    customer = await make_customer(session, grade=Grade.B)
    moved = await make_customer(session, grade=Grade.B)
    manager = await make_staff(session, roles=(Role.MANAGER,))
    older = await _proposal(session, customer, Grade.A, "2027-02")
    newer = await _proposal(session, customer, Grade.A, "2027-03")
    stale = await _proposal(session, moved, Grade.C)
    moved.grade = Grade.A  # changed by hand since the proposal
    await session.commit()
    ids = older.id, newer.id, stale.id, customer.id, manager.id  # a refusal rolls back and expires objects
    older_id, newer_id, stale_id, customer_id, manager_id = ids

    assert [(e.id, c.id) for e, c in await pending_evaluations(session)] == [(newer_id, customer_id)]
    with pytest.raises(EvaluationOutdated):
        await approve_evaluation(session, older_id, manager_id)
    with pytest.raises(EvaluationOutdated):
        await approve_evaluation(session, stale_id, manager_id)
    assert (await approve_evaluation(session, newer_id, manager_id)).status == EvaluationStatus.APPROVED
    assert (await reject_evaluation(session, older_id, manager_id)).status == EvaluationStatus.REJECTED
