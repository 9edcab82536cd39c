"""Relationship care: a year of visits with revisit dates due in the past, today and ahead; quarterly surveys.

Only each customer's latest visit carries `next_revisit_on`: earlier ones were followed up by the next visit,
so a reminder job reading the latest visit per customer sees overdue, due-today and upcoming revisits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portcrm.demo.complaints import PlannedComplaint
from portcrm.demo.context import Company, SeedContext
from portcrm.demo.texts import COMPLAINT_FOLLOW_UP, SURVEY_COMMENTS, VISIT_NOTES, VISIT_OUTCOMES
from portcrm.enums import ComplaintStatus, ContactMethod, Grade, ServqualDimension, SurveyKind
from portcrm.models import Survey, SurveyAnswer, Visit

REVISIT_DAYS = {Grade.A: 45, Grade.B: 90, Grade.C: 180}
DUE_TODAY = 8  # customers whose revisit is due today, three of them the marketer persona's
_METHODS = (
    (ContactMethod.PHONE, 35),
    (ContactMethod.ON_SITE, 25),
    (ContactMethod.WECHAT, 20),
    (ContactMethod.EMAIL, 10),
    (ContactMethod.EVENT, 10),
)
_CITY_COORDINATES = {
    "Ningbo": (29.87, 121.55), "Shanghai": (31.23, 121.47), "Zhoushan": (30.02, 122.11),
    "Hangzhou": (30.27, 120.15), "Suzhou": (31.30, 120.58), "Yiwu": (29.31, 120.07),
    "Wenzhou": (28.00, 120.67), "Taizhou": (28.66, 121.42), "Shaoxing": (30.00, 120.58),
    "Xiamen": (24.48, 118.09), "Shenzhen": (22.54, 114.06),
}  # fmt: skip
_SURVEY_SHARE = {Grade.A: 1.0, Grade.B: 0.4, Grade.C: 0.1}
_GAP = ((-1, 7), (0, 35), (1, 40), (2, 18))  # expectation minus perception, with weights


@dataclass(eq=False)
class PlannedSurvey:
    survey: Survey
    answers: list[SurveyAnswer] = field(default_factory=list)


def build_visits(ctx: SeedContext, complaints: list[PlannedComplaint]) -> list[Visit]:
    rng = ctx.rng
    marketer = ctx.persona_staff("marketer")
    due_today = [c for c in ctx.companies if c.customer.account_manager_id == marketer.id][1:4]
    others = [c for c in ctx.companies if c.customer.account_manager_id != marketer.id]
    due_today += rng.sample(others, DUE_TODAY - len(due_today))
    visits = []
    for company in ctx.companies:
        interval = REVISIT_DAYS[company.customer.grade]
        first_day = max(ctx.days_ago(365), company.customer.cooperation_since or ctx.today)
        day = ctx.days_ago(rng.randint(1, interval * 3 // 2))
        history = []
        while day >= first_day:
            history.append(_visit(ctx, company, day))
            day -= dt.timedelta(days=round(interval * rng.uniform(0.7, 1.3)))
        if history:
            latest = history[0]
            latest.next_revisit_on = latest.occurred_at.date() + dt.timedelta(days=interval)
            if company in due_today:
                latest.next_revisit_on = ctx.today
        visits += reversed(history)
    return visits + _complaint_follow_ups(ctx, complaints, visits)


def _visit(ctx: SeedContext, company: Company, day: dt.date) -> Visit:
    rng, customer = ctx.rng, company.customer
    method = rng.choices([m for m, _ in _METHODS], weights=[w for _, w in _METHODS])[0]
    staff_id = customer.account_manager_id
    if customer.grade == Grade.A and rng.random() < 0.15:  # key customers are known by the manager in person
        staff_id = ctx.persona_staff("manager").id
    at = ctx.office_time(day)
    visit = Visit(
        customer_id=customer.id,
        staff_id=staff_id,
        contact_id=rng.choice(company.contacts).id,
        method=method,
        occurred_at=at,
        notes=rng.choice(VISIT_NOTES[method]),
        outcome=rng.choice(VISIT_OUTCOMES) if rng.random() < 0.7 else None,
        created_at=at + dt.timedelta(minutes=rng.randint(5, 180)),
    )
    if method == ContactMethod.ON_SITE and company.city in _CITY_COORDINATES:
        lat, lon = _CITY_COORDINATES[company.city]
        visit.latitude, visit.longitude = (
            round(lat + rng.uniform(-0.08, 0.08), 5),
            round(lon + rng.uniform(-0.1, 0.1), 5),
        )
    return visit


def _complaint_follow_ups(
    ctx: SeedContext, complaints: list[PlannedComplaint], visits: list[Visit]
) -> list[Visit]:
    """A call after each closed complaint; if it is the latest visit, it takes over the revisit date."""
    latest = {v.customer_id: v for v in visits if v.next_revisit_on is not None}
    follow_ups = []
    for p in complaints:
        complaint = p.complaint
        if complaint.status != ComplaintStatus.CLOSED or complaint.closed_at is None:
            continue
        at = complaint.closed_at + dt.timedelta(days=ctx.rng.randint(1, 3))
        visit = Visit(
            customer_id=complaint.customer_id,
            staff_id=p.company.customer.account_manager_id,
            contact_id=complaint.contact_id,
            complaint_id=complaint.id,
            method=ContactMethod.PHONE,
            occurred_at=at,
            notes=COMPLAINT_FOLLOW_UP,
            created_at=at,
        )
        previous = latest.get(complaint.customer_id)
        if previous is not None and previous.occurred_at < at:
            visit.next_revisit_on, previous.next_revisit_on = previous.next_revisit_on, None
            latest[complaint.customer_id] = visit
        follow_ups.append(visit)
    return follow_ups


def build_surveys(ctx: SeedContext) -> list[PlannedSurvey]:
    """Periodic SERVQUAL surveys of the last four full quarters, to a sample weighted toward key customers.

    The customer personas have not been asked about the last quarter yet: the quarterly job asks them on the
    demo's first day, so each has a survey to answer."""
    rng = ctx.rng
    sample = [c for c in ctx.companies if c.persona or rng.random() < _SURVEY_SHARE[c.customer.grade]]
    planned = []
    quarters = _past_quarters(ctx.today, 4)
    for year, quarter in quarters:
        quarter_end = dt.date(year + quarter // 4, quarter % 4 * 3 + 1, 1) - dt.timedelta(days=1)
        for company in sample:
            if company.persona and (year, quarter) == quarters[-1]:
                continue
            sent = ctx.office_time(quarter_end - dt.timedelta(days=rng.randint(3, 12)))
            survey = Survey(
                customer_id=company.customer.id,
                contact_id=company.primary.id,
                kind=SurveyKind.PERIODIC,
                period=f"{year}-Q{quarter}",
                sent_at=sent,
            )
            p = PlannedSurvey(survey)
            completed = sent + dt.timedelta(hours=rng.randint(2, 240))
            if rng.random() < 0.8 and completed < ctx.cut:
                survey.completed_at = completed
                survey.comment = rng.choice(SURVEY_COMMENTS) if rng.random() < 0.3 else None
                p.answers = [_answer(ctx, dimension) for dimension in ServqualDimension]
            planned.append(p)
    return planned


def survey_answers(planned: list[PlannedSurvey]) -> list[SurveyAnswer]:
    """The planned answers, now that their surveys have ids."""
    for p in planned:
        for answer in p.answers:
            answer.survey_id = p.survey.id
    return [a for p in planned for a in p.answers]


def _answer(ctx: SeedContext, dimension: ServqualDimension) -> SurveyAnswer:
    """Scores 1-5; expectations mostly exceed perceptions, most of all for responsiveness."""
    rng = ctx.rng
    expectation = rng.choices((5, 4, 3), weights=(60, 35, 5))[0]
    gap = rng.choices([g for g, _ in _GAP], weights=[w for _, w in _GAP])[0]
    if dimension == ServqualDimension.RESPONSIVENESS and rng.random() < 0.3:
        gap += 1
    return SurveyAnswer(
        dimension=dimension, expectation=expectation, perception=max(1, min(5, expectation - gap))
    )


def _past_quarters(today: dt.date, count: int) -> list[tuple[int, int]]:
    """(year, quarter) of the `count` quarters before the current one, oldest first."""
    index = today.year * 4 + (today.month - 1) // 3
    return [((index - n) // 4, (index - n) % 4 + 1) for n in range(count, 0, -1)]
