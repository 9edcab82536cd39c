"""desk_group, complaint_topics and notifications.action: one forum topic per complaint in a staff supergroup

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 01:00:00

- desk_group: the one attached supergroup (a single row, id 1), who attached it and when;
- complaint_topics: each complaint's topic there, its thread id once created, the claim taken before
  createForumTopic (so one sender creates it), the title last set and when, open or closed;
- notifications.action: what the sender does instead of a plain sendMessage for a desk row (post into a
  topic, copy a message, rename, close or reopen a topic). Nullable: every existing row is an ordinary one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime()  # naive UTC, as portcrm.models.base.UTCDateTime stores it


def upgrade() -> None:
    op.create_table(
        "desk_group",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("attached_by", sa.String(length=64), nullable=False),
        sa.Column("attached_at", UTC, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_desk_group_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_group")),
    )
    op.create_table(
        "complaint_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("title", sa.String(length=128), nullable=True),
        sa.Column("titled_at", UTC, nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_topics_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_topics")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_complaint_topics_complaint_id")),
    )
    op.create_index(
        "ix_complaint_topics_chat_thread", "complaint_topics", ["chat_id", "message_thread_id"], unique=False
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("action", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("action")
    op.drop_index("ix_complaint_topics_chat_thread", table_name="complaint_topics")
    op.drop_table("complaint_topics")
    op.drop_table("desk_group")
