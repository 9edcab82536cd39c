"""Every form by the name of its states group: what the user calls it, and the command that starts it.

A paused form (paused.py) is named to the user with `title`; its `command`, sent while it is paused,
offers to continue it or start over. Forms started from a button have no command: their pause note's
Continue button is the way back. tests/bot/test_paused_forms.py checks that every states group is here.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.utils.i18n import lazy_gettext as __


@dataclass(frozen=True, slots=True)
class FormKind:
    title: object  # a lazy text, translated when shown
    command: str | None = None


KINDS: dict[str, FormKind] = {
    "ComplaintForm": FormKind(__("New complaint"), "complaint"),
    "ComplaintFollowUp": FormKind(__("Reply about a complaint")),
    "PhoneComplaintForm": FormKind(__("Complaint by phone")),
    "AskForm": FormKind(__("Question to your account manager"), "ask"),
    "SurveyForm": FormKind(__("Survey comment")),
    "AnswerForm": FormKind(__("Answer to a customer's question")),
    "VisitForm": FormKind(__("Visit log"), "visit"),
    "LeadForm": FormKind(__("New lead"), "lead"),
    "LeadConvertForm": FormKind(__("Lead conversion")),
    "CargoEventForm": FormKind(__("Cargo event"), "event"),
    "EventsUpload": FormKind(__("Cargo events file"), "events"),
    "DeskForm": FormKind(__("Complaint handling")),
    "ArchiveForm": FormKind(__("Archive change"), "edit"),
    "ContactForm": FormKind(__("New contact"), "contact"),
    "BroadcastForm": FormKind(__("Broadcast"), "broadcast"),
}
UNKNOWN = FormKind(__("Form"))


def group_of(state: str) -> str:
    """ "ComplaintForm:description" → "ComplaintForm": the form a state belongs to."""
    return state.split(":", 1)[0]


def kind_of(group: str) -> FormKind:
    return KINDS.get(group, UNKNOWN)


def started_by(command: str) -> str | None:
    """The form a command starts, if any."""
    return next((group for group, kind in KINDS.items() if kind.command == command), None)
