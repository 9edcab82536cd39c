"""The manager's report as five PNG charts and one workbook (bytes, ready to send).

Chart text needs a font with Chinese glyphs; where none is installed the charts are labelled in English with
codes instead of names (never boxes of missing glyphs). The workbook needs no font and is always translated.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from functools import cache

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook

from portcrm.enums import CustomerType, Grade
from portcrm.errors import N_
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, CUSTOMER_TYPE_NAMES, SERVQUAL_NAMES
from portcrm.services.reports.figures import AGE_BUCKETS, Report

log = logging.getLogger(__name__)
Gettext = Callable[[str], str]
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
)
TITLES = (
    N_("Customers by grade and type"),
    N_("Complaints by category"),
    N_("Overdue receivables by age (days)"),
    N_("Revisit compliance by account manager, last 90 days"),
    N_("Service quality: expectation vs perception"),
)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@cache
def cjk_font() -> str | None:
    """The first installed font family with Chinese glyphs, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FAMILIES if name in installed), None)
    if found is None:
        log.info("no font with Chinese glyphs: report charts are labelled in English")
    return found


def render_charts(report: Report, gettext: Gettext) -> list[bytes]:
    """Five PNG images; labels translated when a Chinese font exists, else English with codes."""
    font = cjk_font()
    _ = gettext if font else (lambda text: text)
    names = font is not None  # people's names only when they can be drawn
    params = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with rc_context(params):
        return [
            _png(_grades(report, _)),
            _png(_complaints(report, _)),
            _png(_ageing(report, _)),
            _png(_compliance(report, _, names)),
            _png(_servqual(report, _)),
        ]


def _png(figure: Figure) -> bytes:
    """The Agg canvas, not pyplot: no global figure state in a long-running bot."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def _grades(report: Report, _: Gettext) -> Figure:
    figure, axes = _figure(8, 5)
    kinds = list(CustomerType)
    bottom = [0] * len(kinds)
    for grade in Grade:
        values = [report.grades[kind][grade] for kind in kinds]
        axes.bar([_(CUSTOMER_TYPE_NAMES[k]) for k in kinds], values, bottom=bottom, label=grade.value)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title(_(TITLES[0]))
    axes.legend(title=_("Grade"))
    axes.tick_params(axis="x", labelrotation=15)
    return figure


def _complaints(report: Report, _: Gettext) -> Figure:
    figure, axes = _figure(9, 5)
    labels = [_(COMPLAINT_CATEGORY_NAMES[row.category]) for row in report.complaints]
    positions = range(len(labels))
    axes.bar([p - 0.2 for p in positions], [r.count for r in report.complaints], 0.4, label=_("Complaints"))
    axes.bar([p + 0.2 for p in positions], [r.repeats for r in report.complaints], 0.4, label=_("Repeats"))
    axes.set_xticks(list(positions), labels, rotation=15)
    days = axes.twinx()
    means = [r.mean_working_days if r.mean_working_days is not None else 0 for r in report.complaints]
    days.plot(list(positions), means, "o-", color="black", label=_("Mean working days to resolve"))
    days.set_ylabel(_("Mean working days to resolve"))
    days.set_ylim(bottom=0)
    axes.set_title(_(TITLES[1]))
    axes.legend(loc="upper left")
    return figure


def _ageing(report: Report, _: Gettext) -> Figure:
    figure, axes = _figure(8, 5)
    width = 0.8 / max(len(report.ageing), 1)
    for index, row in enumerate(report.ageing):
        positions = [p + index * width for p in range(len(AGE_BUCKETS))]
        axes.bar(positions, [float(v) for v in row.buckets], width, label=row.currency)
    axes.set_xticks([p + 0.4 - width / 2 for p in range(len(AGE_BUCKETS))], list(AGE_BUCKETS))
    axes.set_title(_(TITLES[2]))
    if report.ageing:
        axes.legend()
    else:
        axes.text(0.5, 0.5, _("No overdue invoices"), ha="center", transform=axes.transAxes)
    return figure


def _compliance(report: Report, _: Gettext, names: bool) -> Figure:
    figure, axes = _figure(8, max(3, 0.4 * len(report.compliance) + 1.5))
    labels = [_staff_label(row.staff_id, row.staff_name if names else None, _) for row in report.compliance]
    axes.barh(labels, [100 * row.share for row in report.compliance])
    axes.set_xlim(0, 100)
    axes.set_xlabel("%")
    axes.invert_yaxis()
    axes.set_title(_(TITLES[3]))
    return figure


def _servqual(report: Report, _: Gettext) -> Figure:
    figure, axes = _figure(8, 5)
    labels = [_(SERVQUAL_NAMES[gap.dimension]) for gap in report.servqual]
    positions = range(len(labels))
    axes.bar(
        [p - 0.2 for p in positions],
        [g.expectation or 0 for g in report.servqual],
        0.4,
        label=_("Expectation"),
    )
    axes.bar(
        [p + 0.2 for p in positions], [g.perception or 0 for g in report.servqual], 0.4, label=_("Perception")
    )
    axes.set_xticks(list(positions), labels)
    axes.set_ylim(0, 7)
    axes.set_title(_(TITLES[4]))
    axes.legend()
    return figure


def _staff_label(staff_id: int | None, name: str | None, _: Gettext) -> str:
    if staff_id is None:
        return _("Unassigned")
    return name or f"#{staff_id}"


def render_workbook(report: Report, gettext: Gettext) -> bytes:
    """One sheet per chart with its numbers (translated: spreadsheets need no glyphs of ours)."""
    _ = gettext
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "grades"
    sheet.append([_("Customer type"), *(g.value for g in Grade), _("Total")])
    for kind, counts in report.grades.items():
        sheet.append([_(CUSTOMER_TYPE_NAMES[kind]), *counts.values(), sum(counts.values())])
    sheet = book.create_sheet("complaints")
    sheet.append(
        [_("Category"), _("Complaints"), _("Resolved"), _("Mean working days to resolve"), _("Repeats")]
    )
    for row in report.complaints:
        days = round(row.mean_working_days, 2) if row.mean_working_days is not None else None
        sheet.append([_(COMPLAINT_CATEGORY_NAMES[row.category]), row.count, row.resolved, days, row.repeats])
    sheet = book.create_sheet("receivables")
    sheet.append([_("Currency"), *AGE_BUCKETS, _("Total")])
    for ageing in report.ageing:
        sheet.append([ageing.currency, *(float(v) for v in ageing.buckets), float(ageing.total)])
    sheet = book.create_sheet("revisits")
    sheet.append([_("Account manager"), _("Customers"), _("Visited within cadence"), _("Share")])
    for c in report.compliance:
        sheet.append([_staff_label(c.staff_id, c.staff_name, _), c.customers, c.visited, round(c.share, 4)])
    sheet = book.create_sheet("servqual")
    sheet.append([_("Dimension"), _("Answers"), _("Expectation"), _("Perception"), _("Gap")])
    for gap in report.servqual:
        sheet.append(
            [_(SERVQUAL_NAMES[gap.dimension]), gap.answers, gap.expectation, gap.perception, gap.gap]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
