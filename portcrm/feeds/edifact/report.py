"""What an operator reads about a file: the CLI's lines and the report written beside a quarantined file.

Every text is a gettext message translated by the caller's `_` (the port's default language).
"""

from __future__ import annotations

from collections.abc import Callable

from portcrm.feeds.edifact.ingest import FileReport

Gettext = Callable[[str], str]


def outcome_line(report: FileReport, _: Gettext) -> str:
    """What became of a file that could be read, in one line."""
    names = {"path": report.path, "reference": report.control_reference, "sender": report.sender}
    if report.duplicate:
        return _("{path}: interchange {reference} from {sender} was received before; skipped.").format(
            **names
        )
    result = report.result
    return _(
        "{path}: interchange {reference} from {sender}: {messages} messages ({broken} broken), "
        "{events} events: {recorded} recorded, {repeated} repeated, {superseded} superseded, "
        "{unmatched} waiting for their shipment."
    ).format(
        **names,
        messages=report.messages,
        broken=report.broken,
        events=len(report.events),
        recorded=result.recorded if result else 0,
        repeated=result.repeated if result else 0,
        superseded=result.superseded if result else 0,
        unmatched=result.unmatched if result else 0,
    )


def problem_lines(report: FileReport, _: Gettext) -> list[str]:
    """One line per reason the file is quarantined, each naming the file."""
    problems = [report.unreadable] if report.unreadable else report.problems
    prefix = _("{path}: not taken in: {reason}") if report.unreadable else _("{path}: {reason}")
    return [prefix.format(path=report.path, reason=problem.render(_)) for problem in problems]


def note_lines(report: FileReport, _: Gettext) -> list[str]:
    return [_("{path}: note: {note}").format(path=report.path, note=note.render(_)) for note in report.notes]


def report_text(report: FileReport, _: Gettext) -> str:
    """The report written beside a quarantined file."""
    lines = [_("PortCRM EDIFACT report for {name}").format(name=report.path.name), ""]
    if report.unreadable is not None:
        lines += [_("Nothing was taken from this file:"), f"  - {report.unreadable.render(_)}", ""]
        lines.append(_("Ask the sender for a valid EDIFACT interchange (UNA/UNB ... UNZ)."))
        return "\n".join(lines) + "\n"
    prepared = report.prepared_at.strftime("%Y-%m-%d %H:%M") if report.prepared_at else "?"
    lines += [
        _("Interchange {reference} from {sender}, prepared {prepared}.").format(
            reference=report.control_reference, sender=report.sender, prepared=prepared
        ),
        _("Messages: {messages}, of which broken (left out): {broken}.").format(
            messages=report.messages, broken=report.broken
        ),
        _("Events taken in from the good messages: {events}.").format(events=len(report.events)),
        "",
        _("Problems (why the file is in quarantine):"),
        *(f"  - {problem.render(_)}" for problem in report.problems),
    ]
    if report.notes:
        lines += [
            "",
            _("Notes (valid content PortCRM does not use):"),
            *(f"  - {n.render(_)}" for n in report.notes),
        ]
    lines += [
        "",
        _(
            "Have the sender correct the broken messages and send the interchange again (it may keep its "
            "control reference): the events already taken in are recognised and not repeated."
        ),
    ]
    return "\n".join(lines) + "\n"
