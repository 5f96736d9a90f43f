"""ORM table rows. These are storage shapes only; the domain records live in ``records``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base; Alembic migrations, not ``create_all``, create the tables."""


class SavedResultRow(Base):
    """A result saved under a share link.

    Only the SHA-256 of the link's secret is stored (``lookup_hash``), so a copy of the database
    does not reveal working links. The intake holds no name or contact details (the intake
    contract has no such fields).
    """

    __tablename__ = "saved_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lookup_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    contract: Mapped[str] = mapped_column(String(64))
    intake: Mapped[dict[str, Any]] = mapped_column(JSON)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # the option the person leans toward and their SURE answers; NULL when nothing was answered
    choice: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class AuditLogRow(Base):
    """What happened and when; never the link secret or any answer the person gave."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(255), default="")
