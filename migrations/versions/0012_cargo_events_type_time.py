"""cargo_events (event_type, occurred_at) index, for the hourly free-time job's window

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:20:00

The free-time warnings look, every hour, for boxes discharged or gated out within a range of days
(portcrm/services/tracking/free_time/facts.py `shipments_with_running_clocks`). Without this index that
reads the whole of cargo_events' unique index on a port with millions of events. The downgrade drops it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cargo_events_type_time", "cargo_events", ["event_type", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_cargo_events_type_time", table_name="cargo_events")
