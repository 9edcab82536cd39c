"""Counters that say when something kept in memory has changed in the database, whoever changed it.

Each row is a generation number that triggers (migration 0014) raise in the same transaction as the change
they stand for: a process that read the number and kept what it stands for knows, reading it again, whether
what it keeps is still true, across processes and instances. `identity`: a link, role, staff record or
language that makes up a chat user's `Identity` (portcrm/services/identity/known.py).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.models.base import Base


class Generation(Base):
    __tablename__ = "generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
