"""The manager's report: figures match SQL, charts are real PNGs, the workbook holds the same numbers."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import matplotlib.image
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import (
    ComplaintCategory,
    ComplaintStatus,
    CustomerStatus,
    CustomerType,
    Grade,
    Role,
    ServqualDimension,
    SurveyKind,
)
from portcrm.i18n import gettext_for
from portcrm.models import Complaint, Customer, Invoice, Survey, SurveyAnswer, Visit
from portcrm.services.reports.charts import render_charts
from portcrm.services.reports.figures import age_bucket, build_report
from portcrm.services.reports.workbook import SHEETS, render_workbook
from portcrm.settings import Settings
from tests.factories import make_customer, make_invoice, make_staff

TODAY = dt.date(2026, 11, 16)
CADENCE = {"A": 30, "B": 60, "C": 90}
PNG = b"\x89PNG\r\n\x1a\n"


def _at(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def _complaint(customer: Customer, n: int, category: ComplaintCategory, **kw: object) -> Complaint:
    return Complaint(
        ticket=f"T{n:06d}",
        customer_id=customer.id,
        category=category,
        department=Role.OPERATIONS,
        description="x",
        **kw,
    )


async def _seed(session: AsyncSession) -> None:
    manager = await make_staff(session, name="张三")
    a = await make_customer(session, grade=Grade.A, account_manager_id=manager.id)
    b = await make_customer(
        session, grade=Grade.B, type=CustomerType.SHIPPING_LINE, account_manager_id=manager.id
    )
    await make_customer(session, grade=Grade.C, status=CustomerStatus.TERMINATED)
    session.add(
        Visit(customer_id=a.id, staff_id=manager.id, method="phone", occurred_at=_at(TODAY), notes="ok")
    )
    old = _at(TODAY - dt.timedelta(days=70))
    session.add(Visit(customer_id=b.id, staff_id=manager.id, method="phone", occurred_at=old, notes="old"))
    first = _complaint(
        a,
        1,
        ComplaintCategory.DELAY,
        status=ComplaintStatus.CLOSED,
        created_at=_at(dt.date(2026, 11, 2)),
        resolved_at=_at(dt.date(2026, 11, 3)),
        closed_at=_at(dt.date(2026, 11, 4)),
        corrective_action="new gate schedule",
    )
    repeat = _complaint(a, 2, ComplaintCategory.DELAY, created_at=_at(dt.date(2026, 11, 10)))
    other = _complaint(b, 3, ComplaintCategory.BILLING, created_at=_at(dt.date(2026, 11, 10)))
    session.add_all([first, repeat, other])
    await make_invoice(session, a, due_on=TODAY - dt.timedelta(days=10), amount=Decimal("100.00"))
    await make_invoice(session, a, due_on=TODAY - dt.timedelta(days=45), amount=Decimal("200.00"))
    await make_invoice(
        session, b, due_on=TODAY - dt.timedelta(days=100), amount=Decimal("50.00"), currency="USD"
    )
    await make_invoice(session, b, due_on=TODAY + dt.timedelta(days=5), amount=Decimal("999.00"))
    survey = Survey(customer_id=a.id, kind=SurveyKind.PERIODIC, period="2026-Q4", completed_at=_at(TODAY))
    session.add(survey)
    await session.flush()
    session.add(
        SurveyAnswer(
            survey_id=survey.id, dimension=ServqualDimension.RELIABILITY, expectation=7, perception=5
        )
    )
    await session.commit()


def test_age_buckets_follow_the_days_past_due() -> None:
    assert [age_bucket(d) for d in (0, 1, 30, 31, 60, 61, 90, 91, 400)] == [None, 0, 0, 1, 1, 2, 2, 3, 3]


async def test_report_figures_match_the_database(session: AsyncSession) -> None:
    await _seed(session)
    report = await build_report(session, TODAY, PortCalendar(Settings(_env_file=None)), CADENCE)
    active = await session.scalar(select(func.count()).where(Customer.status == CustomerStatus.ACTIVE))
    assert sum(sum(row.values()) for row in report.grades.values()) == active == 2
    assert report.grades[CustomerType.FORWARDER][Grade.A] == 1
    delay = next(row for row in report.complaints if row.category == ComplaintCategory.DELAY)
    assert (delay.count, delay.resolved, delay.repeats) == (2, 1, 1)
    assert delay.mean_working_days is not None
    assert 0 < delay.mean_working_days <= 1
    billing = next(row for row in report.complaints if row.category == ComplaintCategory.BILLING)
    assert (billing.count, billing.repeats, billing.mean_working_days) == (1, 0, None)
    ageing = {row.currency: row.buckets for row in report.ageing}
    assert ageing == {
        "CNY": (Decimal("100.00"), Decimal("200.00"), Decimal(0), Decimal(0)),
        "USD": (Decimal(0), Decimal(0), Decimal(0), Decimal("50.00")),
    }
    [compliance] = report.compliance
    assert (compliance.staff_name, compliance.customers, compliance.visited) == ("张三", 2, 1)
    reliability = report.servqual[0]
    assert (reliability.answers, reliability.gap) == (1, -2.0)


async def test_charts_are_png_and_the_workbook_totals_equal_sql(session: AsyncSession) -> None:
    await _seed(session)
    report = await build_report(session, TODAY, PortCalendar(Settings(_env_file=None)), CADENCE)
    for locale in ("zh_CN", "en"):
        charts = render_charts(report, locale)
        assert len(charts) == 5
        for chart in charts:
            assert chart.startswith(PNG)
            assert matplotlib.image.imread(io.BytesIO(chart), format="png").ndim == 3
        t = gettext_for(locale)
        book = load_workbook(io.BytesIO(render_workbook(report, t)))
        assert book.sheetnames == [t(name) for name in SHEETS]  # 等级, 投诉, ... in Chinese
        grades_sheet, complaints_sheet, receivables_sheet, _revisits, _servqual = book.worksheets
        assert grades_sheet["A1"].value == t("Customer type")
        assert receivables_sheet["B1"].value == t("1–30 days")
        grades = list(grades_sheet.iter_rows(min_row=2, values_only=True))
        assert sum(row[-1] for row in grades) == 2
        complaints = list(complaints_sheet.iter_rows(min_row=2, values_only=True))
        assert sum(row[1] for row in complaints) == await session.scalar(select(func.count(Complaint.id)))
        overdue = await session.scalar(
            select(func.sum(Invoice.amount - Invoice.paid_amount)).where(Invoice.due_on < TODAY)
        )
        receivables = list(receivables_sheet.iter_rows(min_row=2, values_only=True))
        assert Decimal(str(sum(row[-1] for row in receivables))) == overdue
