"""The manager's report as five PNG charts (bytes, ready to send), labelled in the manager's language.

Every text on a chart is translated (titles, axis labels and units, legends, categories); people are named,
never numbered. The fonts come with the package (fonts.py), so Chinese is drawn on any server.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from portcrm.enums import CustomerType, Grade
from portcrm.i18n import gettext_for
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, CUSTOMER_TYPE_NAMES, SERVQUAL_NAMES
from portcrm.services.reports.figures import AGE_BUCKETS, Report
from portcrm.services.reports.fonts import chart_style
from portcrm.services.reports.names import currency_name, manager_name

Gettext = Callable[[str], str]
DPI = 120


def render_charts(report: Report, locale: str) -> list[bytes]:
    """Five PNG images: grades, complaints, receivables ageing, revisit compliance, service quality."""
    with chart_style(locale):
        return [_png(figure) for figure in draw_charts(report, locale)]


def draw_charts(report: Report, locale: str) -> list[Figure]:
    """The five figures; build and draw them inside `chart_style(locale)`, which sets their fonts."""
    _ = gettext_for(locale)
    return [
        _grades(report, _),
        _complaints(report, _),
        _ageing(report, _, locale),
        _compliance(report, _),
        _servqual(report, _),
    ]


def _png(figure: Figure) -> bytes:
    """The Agg canvas, not pyplot: no global figure state in a long-running bot."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _figure(width: float, height: float, title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), layout="constrained")
    figure.suptitle(title, fontsize="x-large")
    return figure, figure.subplots()


def _thousands(value: float) -> str:
    """1,234,567: written out, never "1e6"."""
    return f"{value:,.0f}"


def _whole_numbers(axes: Axes) -> None:
    """Counts and amounts on the y axis: integer ticks with thousands separators."""
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: _thousands(value)))


def _legend(figure: Figure, columns: int, **options: object) -> None:
    """Below the plot, where it hides no bar."""
    figure.legend(loc="outside lower center", ncols=columns, **options)


def _empty(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", fontsize="large", transform=axes.transAxes)
    axes.set_axis_off()


def _grades(report: Report, _: Gettext) -> Figure:
    figure, axes = _figure(8, 5, _("Customers by grade and type"))
    kinds = list(CustomerType)
    labels = [_(CUSTOMER_TYPE_NAMES[k]) for k in kinds]
    bottom = [0] * len(kinds)
    for grade in Grade:
        values = [report.grades[kind][grade] for kind in kinds]
        label = _("Grade {grade}").format(grade=grade.value)
        axes.bar(labels, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel(_("Active customers"))
    _whole_numbers(axes)
    _legend(figure, len(Grade), title=_("Grade"))
    return figure


def _complaints(report: Report, _: Gettext) -> Figure:
    figure, axes = _figure(9, 5, _("Complaints by category"))
    rows = report.complaints
    positions = list(range(len(rows)))
    axes.bar([p - 0.2 for p in positions], [r.count for r in rows], 0.4, label=_("Complaints"))
    axes.bar([p + 0.2 for p in positions], [r.repeats for r in rows], 0.4, label=_("Repeats"))
    axes.set_xticks(positions, [_(COMPLAINT_CATEGORY_NAMES[r.category]) for r in rows], rotation=15)
    axes.set_ylabel(_("Number of complaints"))
    _whole_numbers(axes)
    days = axes.twinx()
    # no bar of zero days for a category with nothing resolved: a gap in the line
    means = [r.mean_working_days if r.mean_working_days is not None else math.nan for r in rows]
    days.plot(positions, means, "o-", color="black", label=_("Mean working days to resolve"))
    days.set_ylabel(_("Working days"))
    days.set_ylim(0, max([m for m in means if not math.isnan(m)] + [1]) * 1.2)
    _legend(figure, 3)  # the bars and the line of the second axis, all three
    return figure


def _ageing(report: Report, _: Gettext, locale: str) -> Figure:
    """One axis per currency (no exchange rates: amounts in different currencies never share a scale)."""
    title = _("Overdue receivables by age")
    if not report.ageing:
        figure, axes = _figure(8, 3, title)
        _empty(axes, _("No overdue invoices"))
        return figure
    columns = min(len(report.ageing), 2)
    rows = math.ceil(len(report.ageing) / columns)
    figure = Figure(figsize=(5.5 * columns, 4.5 * rows), layout="constrained")
    figure.suptitle(title, fontsize="x-large")
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, (row, axes) in enumerate(zip(report.ageing, grid.flat, strict=False)):
        values = [float(v) for v in row.buckets]
        label = currency_name(row.currency, locale)
        bars = axes.bar(AGE_BUCKETS, values, color=f"C{index}", label=label)
        axes.bar_label(bars, labels=[_thousands(v) for v in values], padding=2)
        axes.set_ylabel(_("Overdue amount ({currency})").format(currency=row.currency))
        axes.set_xlabel(_("Days past due"))
        axes.set_ylim(0, max(values) * 1.12 or 1)
        _whole_numbers(axes)
    for axes in list(grid.flat)[len(report.ageing) :]:
        axes.set_axis_off()
    _legend(figure, len(report.ageing))
    return figure


def _compliance(report: Report, _: Gettext) -> Figure:
    rows = report.compliance
    title = _("Revisit compliance by account manager, last 90 days")
    figure, axes = _figure(8, max(3, 0.5 * len(rows) + 1.8), title)
    if not rows:
        _empty(axes, _("No customers"))
        return figure
    positions = list(range(len(rows)))
    # positions, not names, place the bars: two managers with the same name keep a bar each
    bars = axes.barh(positions, [100 * row.share for row in rows])
    axes.set_yticks(positions, [manager_name(row, _) for row in rows])
    share = _("{share} ({visited} of {customers})")
    shares = [
        share.format(share=f"{row.share:.0%}", visited=row.visited, customers=row.customers) for row in rows
    ]
    axes.bar_label(bars, labels=shares, padding=3)
    axes.set_xlim(0, 115)
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel(_("Customers visited within their grade's cadence (%)"))
    axes.invert_yaxis()
    return figure


def _servqual(report: Report, _: Gettext) -> Figure:
    figure, axes = _figure(8, 5, _("Service quality: expectation vs perception"))
    gaps = report.servqual
    positions = list(range(len(gaps)))
    _bars(axes, [p - 0.2 for p in positions], [g.expectation for g in gaps], _("Expectation"))
    _bars(axes, [p + 0.2 for p in positions], [g.perception for g in gaps], _("Perception"))
    axes.set_xticks(positions, [_(SERVQUAL_NAMES[gap.dimension]) for gap in gaps])
    axes.set_ylim(0, 7.6)  # room for the label above a 7
    axes.set_yticks(range(8))
    axes.set_ylabel(_("Average score (1 to 7)"))
    _legend(figure, 2)
    return figure


def _bars(axes: Axes, positions: Sequence[float], values: Sequence[float | None], label: str) -> None:
    bars = axes.bar(positions, [v or 0 for v in values], 0.4, label=label)
    axes.bar_label(bars, labels=["" if v is None else f"{v:.1f}" for v in values], padding=2)
