"""Grading (客户分级): a 0-100 score per active customer from its last twelve months, and the grade it earns.

Five criteria, each scaled to 0-100, then weighted by settings.grading_weights (normalised, so they need not
sum to 1): volume and revenue by percentile rank among the active customers, so no threshold goes stale as
the port grows; credit rating, payment behaviour and years of cooperation against fixed anchors (see
docs/grading.md). Scoring writes nothing: a grade changes only when a manager approves a proposal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import CreditRating, EvaluationStatus, Grade, Role
from portcrm.errors import N_, Conflict, Forbidden, NotFound
from portcrm.models import Customer, GradeEvaluation, Staff
from portcrm.models.base import utcnow
from portcrm.services.grading.facts import Facts, Reason, describe, measure
from portcrm.storage.transaction import transaction, transactional

log = logging.getLogger(__name__)

CRITERIA = ("volume", "revenue", "credit", "payment", "years")
CREDIT_POINTS: dict[CreditRating | None, float] = {
    CreditRating.AAA: 100,
    CreditRating.AA: 90,
    CreditRating.A: 80,
    CreditRating.BBB: 65,
    CreditRating.BB: 45,
    CreditRating.B: 25,
    CreditRating.C: 0,
    None: 40,  # not rated: ordinary credit
}
LATE_DAY_PENALTY = 2.0  # payment points lost per day late, averaged over the invoices due
OVERDUE_CAP = 50.0  # the most payment points while money is overdue
NO_RECORD_POINTS = 50.0  # payment points when no invoice fell due in the window
POINTS_PER_YEAR = 10.0  # years of cooperation: ten full years or more earn 100
BETTER_FIRST = (Grade.A, Grade.B, Grade.C)


class EvaluationNotFound(NotFound):
    message = N_("That grade proposal was not found.")


class EvaluationDecided(Conflict):
    message = N_("That grade proposal has already been decided.")


class EvaluationOutdated(Conflict):
    message = N_("That grade proposal is out of date: the grade changed or a newer proposal replaced it.")


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str  # one of CRITERIA
    value: Any  # what was measured, JSON-ready
    points: float  # 0-100
    reason: Reason


@dataclass(frozen=True, slots=True)
class Assessment:
    customer_id: int
    name: str
    current: Grade
    score: Decimal  # 0-100, one decimal: the grade follows this rounded figure
    grade: Grade
    criteria: tuple[Criterion, ...]

    @property
    def changed(self) -> bool:
        return self.grade != self.current

    @property
    def upgrade(self) -> bool:
        return BETTER_FIRST.index(self.grade) < BETTER_FIRST.index(self.current)

    def reasons(self) -> list[dict[str, Any]]:
        """As stored on a proposal and, once approved, as the customer's grade_reasons (text in English)."""
        return [
            {
                "criterion": c.name,
                "value": c.value,
                "points": round(c.points, 1),
                "text": c.reason.render(),
                "msgid": c.reason.msgid,
                "params": c.reason.params,
            }
            for c in self.criteria
        ]


def normalised(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown or any(w < 0 for w in weights.values()):
        raise ValueError(f"grading weights: unknown keys {unknown} or negative weights; keys are {CRITERIA}")
    total = sum(weights.get(name, 0.0) for name in CRITERIA)
    if total <= 0:
        raise ValueError("grading weights: at least one must be positive")
    return {name: weights.get(name, 0.0) / total for name in CRITERIA}


def grade_for(score: Decimal, thresholds: Mapping[str, float]) -> Grade:
    if not {"A", "B"} <= set(thresholds) or thresholds["A"] < thresholds["B"]:
        raise ValueError("grading thresholds need A and B, with A at least B")
    if score >= Decimal(str(thresholds["A"])):
        return Grade.A
    return Grade.B if score >= Decimal(str(thresholds["B"])) else Grade.C


def percentile_points(values: Mapping[int, float]) -> dict[int, float]:
    """100 × average rank ÷ count among the positive values (the largest earns 100); nothing earns 0."""
    positive = sorted(v for v in values.values() if v > 0)
    points = {}
    for key, value in values.items():
        below, up_to = bisect_left(positive, value), bisect_right(positive, value)
        points[key] = 100 * (below + (up_to - below + 1) / 2) / len(positive) if value > 0 else 0.0
    return points


def payment_points(f: Facts) -> float:
    if f.invoices_due:
        points = (100 * f.on_time - LATE_DAY_PENALTY * f.days_late) / f.invoices_due
    else:
        points = NO_RECORD_POINTS
    points = max(0.0, min(100.0, points))
    return min(points, OVERDUE_CAP) if any(v > 0 for v in f.overdue.values()) else points


def assess(
    facts: Sequence[Facts], weights: Mapping[str, float], thresholds: Mapping[str, float]
) -> list[Assessment]:
    """Score a population: the ranks are relative to exactly the customers given."""
    share = normalised(weights)
    volume = percentile_points({f.customer_id: float(f.teu) for f in facts})
    revenue = {f.customer_id: 0.0 for f in facts}
    for currency in sorted({c for f in facts for c in f.revenue}):  # ranked per currency: no exchange rates
        ranks = percentile_points({f.customer_id: float(f.revenue.get(currency, 0)) for f in facts})
        revenue = {key: max(points, ranks[key]) for key, points in revenue.items()}
    result = []
    for f in facts:
        points = {
            "volume": volume[f.customer_id],
            "revenue": revenue[f.customer_id],
            "credit": CREDIT_POINTS[f.credit_rating],
            "payment": payment_points(f),
            "years": min(100.0, POINTS_PER_YEAR * (f.years or 0)),
        }
        said = describe(f)
        criteria = tuple(Criterion(name, said[name][0], points[name], said[name][1]) for name in CRITERIA)
        total = sum(share[c.name] * c.points for c in criteria)
        score = Decimal(f"{total:.6f}").quantize(Decimal("0.1"), ROUND_HALF_UP)
        grade = grade_for(score, thresholds)
        result.append(Assessment(f.customer_id, f.name, f.grade, score, grade, criteria))
    return result


async def score_customers(
    session: AsyncSession,
    as_of: dt.date,
    weights: Mapping[str, float],
    thresholds: Mapping[str, float],
    *,
    tz: dt.tzinfo = dt.UTC,
) -> list[Assessment]:
    """Every active customer scored on the twelve months ending with `as_of` (port-local days in `tz`)."""
    normalised(weights)  # a misconfiguration fails before any query
    async with transaction(session):
        facts = await measure(session, as_of, tz)
    # seconds of pure Python for a large port: in a thread, the chat on the event loop is still answered
    return await asyncio.to_thread(assess, facts, weights, thresholds)


@transactional
async def pending_evaluations(session: AsyncSession) -> list[tuple[GradeEvaluation, Customer]]:
    """The proposals a manager can still decide: each customer's latest, if undecided and still current."""
    latest = select(func.max(GradeEvaluation.id)).group_by(GradeEvaluation.customer_id)
    rows = await session.execute(
        select(GradeEvaluation, Customer)
        .join(Customer, Customer.id == GradeEvaluation.customer_id)
        .where(GradeEvaluation.id.in_(latest), GradeEvaluation.status == EvaluationStatus.PROPOSED)
        .where(Customer.grade == GradeEvaluation.previous_grade)
        .order_by(GradeEvaluation.score.desc(), GradeEvaluation.id)
    )
    return [(evaluation, customer) for evaluation, customer in rows]


@transactional
async def approve_evaluation(session: AsyncSession, evaluation_id: int, staff_id: int) -> GradeEvaluation:
    """The customer takes the proposed grade and its reasons; the audit log records who decided."""
    evaluation, customer = await _undecided(session, evaluation_id, staff_id)
    newer = await session.scalar(
        select(GradeEvaluation.id)
        .where(GradeEvaluation.customer_id == customer.id, GradeEvaluation.id > evaluation.id)
        .limit(1)
    )
    if newer is not None or customer.grade != evaluation.previous_grade:
        raise EvaluationOutdated()
    customer.grade, customer.grade_reasons = evaluation.proposed_grade, list(evaluation.reasons)
    customer.graded_at = utcnow()
    _decide(evaluation, EvaluationStatus.APPROVED, staff_id)
    log.info("grade %s of customer %s approved by staff %s", customer.grade, customer.id, staff_id)
    return evaluation


@transactional
async def reject_evaluation(session: AsyncSession, evaluation_id: int, staff_id: int) -> GradeEvaluation:
    """The customer keeps its grade; the proposal stays in the history as rejected."""
    evaluation, customer = await _undecided(session, evaluation_id, staff_id)
    _decide(evaluation, EvaluationStatus.REJECTED, staff_id)
    log.info("grade proposal %s for customer %s rejected by staff %s", evaluation.id, customer.id, staff_id)
    return evaluation


async def _undecided(
    session: AsyncSession, evaluation_id: int, staff_id: int
) -> tuple[GradeEvaluation, Customer]:
    staff = await session.get(Staff, staff_id)
    if staff is None or not staff.active or Role.MANAGER not in staff.role_set:
        raise Forbidden()
    evaluation = await session.get(GradeEvaluation, evaluation_id, with_for_update=True)
    customer = (
        await session.get(Customer, evaluation.customer_id, with_for_update=True) if evaluation else None
    )
    if evaluation is None or customer is None:
        raise EvaluationNotFound()
    if evaluation.status != EvaluationStatus.PROPOSED:
        raise EvaluationDecided()
    set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
    return evaluation, customer


def _decide(evaluation: GradeEvaluation, status: EvaluationStatus, staff_id: int) -> None:
    evaluation.status, evaluation.decided_by_id, evaluation.decided_at = status, staff_id, utcnow()
