"""generations table and the triggers that raise its `identity` row: identities kept between updates

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:00:00

The bot keeps chat users' identities (roles, linked contact and customer, language) in memory between
updates instead of reading them for each one (portcrm/services/identity/known.py), and reads this number
to know when they may have changed. Triggers raise it in the transaction of any change to what an identity
is made of, whoever makes it (a handler, a job, the command line, another instance, SQL typed by hand):

- staff: a staff record with a Telegram account added or removed, its account, name or active flag changed;
- staff_roles: a role given, taken or changed;
- contacts: a contact linked (added with a Telegram account) or removed, its account, company or language
  changed;
- chat_users: a chat user removed, their chosen language, Telegram's language or their blocked state
  changed. Not a new one: nobody keeps the identity of a user who had no row.

Only changes of those columns count (a contact's phone number does not), so the chat's own bookkeeping
(last seen, a new user's row) leaves what is kept alone. The downgrade drops them and the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE generations SET value = value + 1 WHERE name = 'identity'"
# table: (rows whose insert or delete counts, or None for none; columns whose change counts)
WATCHED: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "staff": ("{row}.telegram_user_id IS NOT NULL", ("telegram_user_id", "name", "active")),
    "staff_roles": ("1 = 1", ("staff_id", "role")),
    "contacts": ("{row}.telegram_user_id IS NOT NULL", ("telegram_user_id", "customer_id", "locale")),
    "chat_users": (None, ("locale", "telegram_language", "blocked_at")),
}


def _triggers(postgresql: bool) -> list[tuple[str, str, str]]:
    """(name, event, condition) of every trigger; conditions in the dialect's null-safe comparison."""
    differs = "IS DISTINCT FROM" if postgresql else "IS NOT"
    found = []
    for table, (rows, columns) in WATCHED.items():
        if rows is not None:
            found.append((f"identity_{table}_insert", f"INSERT ON {table}", rows.format(row="NEW")))
        found.append((f"identity_{table}_delete", f"DELETE ON {table}", (rows or "1 = 1").format(row="OLD")))
        changed = " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in columns)
        found.append((f"identity_{table}_update", f"UPDATE OF {', '.join(columns)} ON {table}", changed))
    return found


def upgrade() -> None:
    generations = op.create_table(
        "generations",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_generations")),
    )
    op.bulk_insert(generations, [{"name": "identity", "value": 0}])
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(
            "CREATE FUNCTION bump_identity_generation() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for name, event, condition in _triggers(postgresql):
        if postgresql:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW WHEN ({condition}) "
                "EXECUTE FUNCTION bump_identity_generation()"
            )
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} WHEN {condition} BEGIN {BUMP}; END")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, event, _ in _triggers(postgresql):
        table = event.rsplit(" ON ", 1)[1]
        op.execute(
            f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgresql else f"DROP TRIGGER IF EXISTS {name}"
        )
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS bump_identity_generation()")
    op.drop_table("generations")
