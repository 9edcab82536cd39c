"""The numbers behind the report's charts as one workbook (bytes, ready to send), one sheet per chart, its
names and headers in the reader's language."""

from __future__ import annotations

import io
from collections.abc import Callable

from openpyxl import Workbook

from portcrm.enums import Grade
from portcrm.errors import N_
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, CUSTOMER_TYPE_NAMES, GRADE_NAMES, SERVQUAL_NAMES
from portcrm.services.receivables.export import BUCKET_NAMES
from portcrm.services.reports.figures import Report
from portcrm.services.reports.names import manager_name

# Sheet names, in the order of the charts (at most 31 characters, none of []:*?/\ in any translation).
SHEETS = (
    N_("Customer grades"),
    N_("Complaints by category"),
    N_("Receivables ageing"),
    N_("Revisit compliance"),
    N_("Service quality"),
)


def render_workbook(report: Report, gettext: Callable[[str], str]) -> bytes:
    """One sheet per chart with its numbers, translated."""
    _ = gettext
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    grades, complaints, receivables, revisits, servqual = (_(name) for name in SHEETS)
    sheet.title = grades
    sheet.append([_("Customer type"), *(_(GRADE_NAMES[g]) for g in Grade), _("Total")])
    for kind, counts in report.grades.items():
        sheet.append([_(CUSTOMER_TYPE_NAMES[kind]), *counts.values(), sum(counts.values())])
    sheet = book.create_sheet(complaints)
    sheet.append(
        [_("Category"), _("Complaints"), _("Resolved"), _("Mean working days to resolve"), _("Repeats")]
    )
    for row in report.complaints:
        days = round(row.mean_working_days, 2) if row.mean_working_days is not None else None
        sheet.append([_(COMPLAINT_CATEGORY_NAMES[row.category]), row.count, row.resolved, days, row.repeats])
    sheet = book.create_sheet(receivables)
    sheet.append([_("Currency"), *(_(name) for name in BUCKET_NAMES.values()), _("Total")])
    for ageing in report.ageing:
        sheet.append([ageing.currency, *(float(v) for v in ageing.buckets), float(ageing.total)])
    sheet = book.create_sheet(revisits)
    sheet.append([_("Account manager"), _("Customers"), _("Visited within cadence"), _("Share")])
    for c in report.compliance:
        sheet.append([manager_name(c, _), c.customers, c.visited, round(c.share, 4)])
    sheet = book.create_sheet(servqual)
    sheet.append([_("Dimension"), _("Answers"), _("Expectation"), _("Perception"), _("Gap")])
    for gap in report.servqual:
        sheet.append(
            [_(SERVQUAL_NAMES[gap.dimension]), gap.answers, gap.expectation, gap.perception, gap.gap]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
