"""the complaint mailbox: complaints' channel, the mail log, the mail outbox, attachments kept as bytes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00

Complaints come by chat, by mail (the SMTP receiver, portcrm/mail) and later by phone: `complaints.channel`
says which, every existing complaint by chat. `mail_log` keeps every mail the receiver took and every mail
the sender delivered by its unique Message-ID (a relay handing one over twice counts once; a reply finds its
complaint). `outgoing_mails` is the mail outbox, with its attachments in `outgoing_mail_attachments`.
A complaint's attachment sent by mail has no Telegram file id but its bytes (`content`).
`contacts.prefers_email`: a contact on Telegram who asked to be written to by mail.

Contacts carry the identity triggers of 0014, which a SQLite table copy would drop: its column is added and
dropped in place. The downgrade deletes the attachments that came by mail (they have no Telegram file id)
and drops the rest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = sa.Enum(
    "pending", "sent", "failed", "unreachable", "parked", name="notificationstatus", native_enum=False, length=16
)
_MAIL_STATUS = sa.Enum(
    "complaint",
    "reply",
    "unknown_sender",
    "ambiguous_sender",
    "auto_reply",
    "bounce",
    "sent",
    name="mailstatus",
    native_enum=False,
    length=16,
)
_CHANNEL = sa.Enum("chat", "email", "phone", name="complaintchannel", native_enum=False, length=8)


def upgrade() -> None:
    op.add_column("complaints", sa.Column("channel", _CHANNEL, server_default="chat", nullable=False))
    op.add_column("contacts", sa.Column("prefers_email", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.alter_column("telegram_file_id", existing_type=sa.String(length=255), nullable=True)
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    op.create_table(
        "mail_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("in_reply_to", sa.Text(), nullable=True),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("from_name", sa.String(length=255), nullable=True),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Integer(), nullable=False),
        sa.Column("status", _MAIL_STATUS, nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_mail_log_complaint_id_complaints"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_mail_log_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_log")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_log_message_id")),
    )
    op.create_index("ix_mail_log_complaint_id", "mail_log", ["complaint_id"])
    op.create_index("ix_mail_log_status_received", "mail_log", ["status", "received_at"])
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("to_name", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_outgoing_mails_complaint_id_complaints"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_outgoing_mails_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mails")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outgoing_mails_idempotency_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outgoing_mails_message_id")),
    )
    op.create_index("ix_outgoing_mails_due", "outgoing_mails", ["status", "next_attempt_at"])
    op.create_table(
        "outgoing_mail_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["outgoing_mails.id"],
            name=op.f("fk_outgoing_mail_attachments_mail_id_outgoing_mails"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail_attachments")),
    )
    op.create_index("ix_outgoing_mail_attachments_mail_id", "outgoing_mail_attachments", ["mail_id"])


def downgrade() -> None:
    op.drop_index("ix_outgoing_mail_attachments_mail_id", table_name="outgoing_mail_attachments")
    op.drop_table("outgoing_mail_attachments")
    op.drop_index("ix_outgoing_mails_due", table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
    op.drop_index("ix_mail_log_status_received", table_name="mail_log")
    op.drop_index("ix_mail_log_complaint_id", table_name="mail_log")
    op.drop_table("mail_log")
    op.execute("DELETE FROM complaint_attachments WHERE telegram_file_id IS NULL")
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.drop_column("content")
        batch_op.alter_column("telegram_file_id", existing_type=sa.String(length=255), nullable=False)
    op.drop_column("contacts", "prefers_email")
    op.drop_column("complaints", "channel")
