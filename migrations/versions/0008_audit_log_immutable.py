"""audit log immutable: contacts.erased_at, and triggers that refuse edits to audit_log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 23:50:00

The audit log is append-only in the database itself, whatever the interface (the app, a SQL shell, a
script): DELETE is always refused (and TRUNCATE on PostgreSQL); UPDATE is refused except for one case,
erasing a person's data under PIPL. A row may then be updated when
  - it is about a contact (entity 'contacts') whose `erased_at` is set,
  - its old and new values become NULL or the marker '[erased]',
  - every other column stays as it was.
The rule reads only the row and the contacts table, so SQLite (whose triggers cannot see temp tables or
session variables) and PostgreSQL check the same thing. Keep ERASED_MARKER in portcrm/models/audit.py in
step with the marker below.

On SQLite a batch migration that rebuilds audit_log (copy, drop, rename) drops these triggers with the
old table: such a migration must create them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARKER = "[erased]"
_KEPT = ("id", "at", "actor", "staff_id", "source", "entity", "entity_id", "customer_id", "action", "field")

_SQLITE_ERASURE = " AND ".join(
    [
        "OLD.entity IS 'contacts'",
        "EXISTS (SELECT 1 FROM contacts"
        " WHERE contacts.id = OLD.entity_id AND contacts.erased_at IS NOT NULL)",
        f"(NEW.old_value IS NULL OR NEW.old_value IS '{_MARKER}')",
        f"(NEW.new_value IS NULL OR NEW.new_value IS '{_MARKER}')",
        *(f"NEW.{column} IS OLD.{column}" for column in _KEPT),  # IS: equal, NULLs included
    ]
)
_SQLITE = [
    """
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
    END
    """,
    f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    WHEN NOT ({_SQLITE_ERASURE})
    BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
    END
    """,
]

_PG_NEW = ", ".join(f"NEW.{column}" for column in _KEPT)
_PG_OLD = ", ".join(f"OLD.{column}" for column in _KEPT)
_PG = [
    f"""
    CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- a NULL anywhere in the condition counts as false: refused
        IF TG_OP = 'UPDATE'
            AND OLD.entity = 'contacts'
            AND EXISTS (
                SELECT 1 FROM contacts WHERE contacts.id = OLD.entity_id AND contacts.erased_at IS NOT NULL
            )
            AND (NEW.old_value IS NULL OR NEW.old_value = '{_MARKER}')
            AND (NEW.new_value IS NULL OR NEW.new_value = '{_MARKER}')
            AND ROW({_PG_NEW}) IS NOT DISTINCT FROM ROW({_PG_OLD})
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Only the values of rows about an erased contact may be erased.';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()
    """,
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()
    """,
]


def upgrade() -> None:
    op.add_column("contacts", sa.Column("erased_at", sa.DateTime(), nullable=True))
    statements = _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_immutable ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_guard()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    # not batch mode: a batch would copy contacts and DROP the old table, which with foreign keys on
    # cascades to every row that points at a contact (SQLite 3.35+ drops the column in place)
    op.drop_column("contacts", "erased_at")
