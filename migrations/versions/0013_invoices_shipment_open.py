"""invoices (shipment_id, settled, due_on) index: a shipment's overdue invoices, for its payment hold

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:45:00

"Can I pick up?" asks, for each import shipment on a status card and after each feed batch, whether the
ledger holds an unpaid invoice of that shipment past its due date (portcrm/services/tracking/release.py
`payment_overdue`). Without this index both backends read every open overdue invoice of the port for each
question: at 1M invoices feed ingest fell to 65-91 events a second (bench/feeds.py, bench/RESULTS.md). With
it, 830-1,184. SQLite, without statistics, ignores an index on shipment_id alone, hence all three columns.
The downgrade drops it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_invoices_shipment_open", "invoices", ["shipment_id", "settled", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_invoices_shipment_open", table_name="invoices")
