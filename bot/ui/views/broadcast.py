"""The texts of /broadcast: the chosen segment and the preview."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from portcrm.labels import CUSTOMER_TYPE_NAMES
from portcrm.services.development.broadcasts import Segment, rendered


def segment_text(chosen: Segment) -> str:
    kind = _(CUSTOMER_TYPE_NAMES[chosen.customer_type]) if chosen.customer_type else _("all types")
    grade = chosen.grade.value if chosen.grade else _("all grades")
    return _("Segment: {type}, grade {grade}").format(type=kind, grade=grade)


def preview(chosen: Segment, count: int, text: str) -> str:
    return "\n".join(
        [
            _("<b>Broadcast preview</b>"),
            segment_text(chosen),
            _("Recipients (contacts who agreed to marketing messages): {count}").format(count=count),
            "",
            rendered(text),
        ]
    )
