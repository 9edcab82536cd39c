"""The report's charts read in the manager's language: every text translated, people by name, Chinese drawn in
the packaged Noto Sans CJK face of the right script, and one axis per currency with amounts written out."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from decimal import Decimal

import pytest
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from portcrm.enums import ComplaintCategory, CustomerType, Grade, ServqualDimension
from portcrm.i18n import gettext_for
from portcrm.labels import COMPLAINT_CATEGORY_NAMES
from portcrm.services.care.surveys import DimensionGap
from portcrm.services.reports.charts import draw_charts, render_charts
from portcrm.services.reports.figures import AgeingRow, CategoryFigures, Compliance, Report
from portcrm.services.reports.fonts import chart_style, register_cjk_font

CURRENCIES = {"CNY", "USD"}
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
GRADES, COMPLAINTS, AGEING, COMPLIANCE, SERVQUAL = range(5)


def _report(compliance: list[Compliance] | None = None) -> Report:
    grades = {kind: {grade: 2 for grade in Grade} for kind in CustomerType}
    complaints = [
        CategoryFigures(category, 3, 2, 1.5 if index % 2 else None, index % 2)
        for index, category in enumerate(ComplaintCategory)
    ]
    ageing = [  # millions next to tens of thousands: on one axis USD vanishes under a "1e6"
        AgeingRow("CNY", (Decimal(1_284_500), Decimal(732_000), Decimal(0), Decimal(1_950_000))),
        AgeingRow("USD", (Decimal(48_200), Decimal(0), Decimal(15_750), Decimal(9_300))),
    ]
    if compliance is None:
        compliance = [Compliance(1, "张伟", 6, 6), Compliance(2, "王芳", 7, 5), Compliance(None, None, 3, 0)]
    servqual = [DimensionGap(d, 4, 6.0, 5.0, -1.0) for d in ServqualDimension]
    return Report(dt.date(2026, 11, 16), grades, complaints, ageing, compliance, servqual)


def _drawn(report: Report, locale: str) -> list[Figure]:
    """The figures drawn as they are for the PNGs (tick labels exist only once drawn)."""
    with chart_style(locale):
        figures = draw_charts(report, locale)
        for figure in figures:
            FigureCanvasAgg(figure).draw()
    return figures


def _texts(figure: Figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _legend(figure: Figure) -> list[str]:
    return [t.get_text() for legend in figure.legends for t in legend.get_texts()]


def _family(text: Text) -> str:
    """The font face matplotlib resolves for this text (its first choice, before any glyph fallback)."""
    path = font_manager.findfont(text.get_fontproperties())
    return ft2font.FT2Font(path, face_index=path.face_index).family_name


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW"])
def test_chinese_charts_have_no_english_and_no_ids(locale: str) -> None:
    t = gettext_for(locale)
    figures = _drawn(_report(), locale)
    for figure in figures:
        for text in _texts(figure):
            content = text.get_text()
            assert not re.search(r"#\d", content), content
            assert set(LATIN_WORD.findall(content)) <= CURRENCIES, content
            assert not re.search(r"[():;]|,(?!\d{3})", content), content  # full-width, but 1,000
    titles = [figure.get_suptitle() for figure in figures]
    assert titles[COMPLAINTS] == t("Complaints by category")
    assert all(CJK.search(title) for title in titles)
    names = [label.get_text() for label in figures[COMPLIANCE].axes[0].get_yticklabels()]
    assert names == ["张伟", "王芳", t("Unassigned")]
    categories = [label.get_text() for label in figures[COMPLAINTS].axes[0].get_xticklabels()]
    assert categories == [t(COMPLAINT_CATEGORY_NAMES[c]) for c in ComplaintCategory]


def test_english_charts_are_in_english_and_draw_chinese_names() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        figures = _drawn(_report(), "en")
    assert figures[GRADES].get_suptitle() == "Customers by grade and type"
    assert _legend(figures[GRADES]) == ["Grade A", "Grade B", "Grade C"]
    names = [label.get_text() for label in figures[COMPLIANCE].axes[0].get_yticklabels()]
    assert names == ["张伟", "王芳", "Unassigned"]
    for figure in figures:
        assert not any(re.search(r"#\d", text.get_text()) for text in _texts(figure))


@pytest.mark.parametrize(("locale", "face"), [("zh_CN", "Noto Sans CJK SC"), ("zh_TW", "Noto Sans CJK TC")])
def test_chinese_is_drawn_in_the_packaged_face_of_its_script(locale: str, face: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = _drawn(_report(), locale)
    chinese = [text for figure in figures for text in _texts(figure) if CJK.search(text.get_text())]
    assert len(chinese) > 20
    assert {_family(text) for text in chinese} == {face}


def test_the_font_is_registered_once_per_process() -> None:
    register_cjk_font()
    render_charts(_report(), "zh_CN")
    register_cjk_font()
    faces = [f for f in font_manager.fontManager.ttflist if f.name == "Noto Sans CJK SC"]
    assert len(faces) == 1


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_receivables_have_one_axis_per_currency_with_its_unit_and_no_offset(locale: str) -> None:
    t = gettext_for(locale)
    figure = _drawn(_report(), locale)[AGEING]
    axes = [a for a in figure.axes if a.axison]
    assert [a.get_ylabel() for a in axes] == [
        t("Overdue amount ({currency})").format(currency=code) for code in ("CNY", "USD")
    ]
    for a in axes:
        assert a.yaxis.get_offset_text().get_text() == ""
        assert a.get_xlabel() == t("Days past due")
    ticks = [label.get_text() for label in axes[0].get_yticklabels()]
    assert "2,000,000" in ticks
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", tick) for tick in ticks)
    amounts = [label.get_text() for label in axes[1].texts]  # each bar's amount, written out
    assert amounts == ["48,200", "0", "15,750", "9,300"]
    legend = _legend(figure)
    assert len(legend) == 2
    assert all(code in text for text, code in zip(legend, ("CNY", "USD"), strict=True))
    if locale == "zh_CN":
        assert legend == ["人民币（CNY）", "美元（USD）"]


def test_every_series_is_in_the_legend() -> None:
    t = gettext_for("zh_CN")
    figures = _drawn(_report(), "zh_CN")
    assert _legend(figures[COMPLAINTS]) == [
        t("Complaints"),
        t("Repeats"),
        t("Mean working days to resolve"),  # the line on the second axis too
    ]
    assert _legend(figures[SERVQUAL]) == [t("Expectation"), t("Perception")]
    assert len(_legend(figures[GRADES])) == len(Grade)


def test_two_managers_with_one_name_keep_a_bar_each() -> None:
    rows = [Compliance(1, "李娜", 4, 4), Compliance(2, "李娜", 4, 1), Compliance(3, "", 2, 1)]
    figure = _drawn(_report(rows), "zh_CN")[COMPLIANCE]
    [axes] = figure.axes
    assert [round(bar.get_width()) for bar in axes.patches] == [100, 25, 50]
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert labels == ["李娜", "李娜", gettext_for("zh_CN")("Account manager without a name")]


def test_an_empty_report_says_so_in_chinese() -> None:
    empty = Report(dt.date(2026, 11, 16), {k: dict.fromkeys(Grade, 0) for k in CustomerType}, [], [], [], [])
    t = gettext_for("zh_CN")
    figures = _drawn(empty, "zh_CN")
    assert t("No overdue invoices") in [text.get_text() for text in _texts(figures[AGEING])]
    assert t("No customers") in [text.get_text() for text in _texts(figures[COMPLIANCE])]
