"""/history names every field the audit log records, in the reader's language, never by its column name."""

from __future__ import annotations

from portcrm.audit import _SKIPPED  # the audit hook's own rule for what it leaves out
from portcrm.labels import HISTORY_FIELD_NAMES
from portcrm.models import Base


def _audited_columns() -> dict[str, set[str]]:
    """Table → the columns the audit hook records for it (as `portcrm.audit._changes` chooses them)."""
    return {
        mapper.class_.__tablename__: {
            attr.key
            for attr in mapper.column_attrs
            if attr.key not in _SKIPPED and attr.columns[0].info.get("audited", True)
        }
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "audited", False)
    }


def test_every_audited_column_has_a_history_label() -> None:
    audited = _audited_columns()
    assert {"customers", "contacts", "invoices"} <= audited.keys()
    unlabelled = {
        (table, column)
        for table, columns in audited.items()
        for column in columns - HISTORY_FIELD_NAMES.get(table, {}).keys()
    }
    assert not unlabelled, "give these a label in portcrm/labels.py HISTORY_FIELD_NAMES"


def test_no_label_names_a_column_that_is_not_recorded() -> None:
    audited = _audited_columns()
    stale = {
        (table, field)
        for table, labels in HISTORY_FIELD_NAMES.items()
        for field in labels.keys() - audited.get(table, set())
    }
    assert not stale
