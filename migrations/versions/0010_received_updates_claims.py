"""received_updates claims: which webhook instance is handling an update, and until when

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:30:00

Several webhook instances may receive one update at nearly the same moment (Telegram redelivering it while
the first attempt runs). The instance that takes it writes who it is and until when its claim lasts, in the
one statement that takes it (portcrm/messaging/inbox.py `claim`); the others leave it alone until the
claim is released or lapses. Both columns are empty for rows written before, and for long polling, which
has one process and no claims. The downgrade drops them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("received_updates", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.add_column("received_updates", sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # not batch mode: SQLite 3.35+ drops a column in place, without copying the table
    op.drop_column("received_updates", "claimed_until")
    op.drop_column("received_updates", "claimed_by")
