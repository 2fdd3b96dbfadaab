"""Deployments and their log lines in a database (SQLAlchemy 2).

The URL is JupyterHub's scheme: ``sqlite:///service.sqlite`` by default,
``postgresql://user@host/db`` when the operator has one.  Tables are created when
missing.  Every method is synchronous, short and thread-safe (builds run in worker
threads and append log lines from there); the API calls them on the event loop, as
JupyterHub does with its own database.

A deployment's ``state`` is the launcher's bookkeeping (JSON: a pid, a port...), so that
a restarted service finds what runs.  ``attempts`` counts how often it was started:
a restart resumes an unfinished deployment until ``max_attempts``.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from envspec.service.models import TERMINAL, Deployment

__all__ = ["LogRecord", "Record", "Store"]


class _Base(DeclarativeBase):
    pass


class _Deployment(_Base):
    __tablename__ = "envspec_deployments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    url: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_detail: Mapped[str | None] = mapped_column(Text, default=None)
    environment_key: Mapped[str | None] = mapped_column(String(128), default=None)
    commit: Mapped[str | None] = mapped_column(String(64), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(Text, default="{}")


class _LogLine(_Base):
    __tablename__ = "envspec_log_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("envspec_deployments.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(16))
    line: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Record:
    """A deployment as stored."""

    id: str
    owner: str
    status: str
    source: dict[str, Any]
    created: datetime
    updated: datetime
    url: str | None
    error_code: str | None
    error_detail: str | None
    environment_key: str | None
    commit: str | None
    attempts: int
    state: dict[str, Any]

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def to_model(self) -> Deployment:
        error = None
        if self.error_code is not None:
            error = {"code": self.error_code, "detail": self.error_detail or ""}
        return Deployment.model_validate(
            {
                "id": self.id,
                "owner": self.owner,
                "status": self.status,
                "source": self.source,
                "created": self.created,
                "updated": self.updated,
                "url": self.url if self.status == "ready" else None,
                "error": error,
                "environment_key": self.environment_key,
                "commit": self.commit,
            }
        )


@dataclass(frozen=True, slots=True)
class LogRecord:
    seq: int
    phase: str
    line: str


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _record(row: _Deployment) -> Record:
    return Record(
        id=row.id,
        owner=row.owner,
        status=row.status,
        source=json.loads(row.source),
        created=_utc(row.created),
        updated=_utc(row.updated),
        url=row.url,
        error_code=row.error_code,
        error_detail=row.error_detail,
        environment_key=row.environment_key,
        commit=row.commit,
        attempts=row.attempts,
        state=json.loads(row.state or "{}"),
    )


def _now() -> datetime:
    return datetime.now(UTC)


_FIELDS = {
    "status",
    "url",
    "error_code",
    "error_detail",
    "environment_key",
    "commit",
    "attempts",
    "state",
}


class Store:
    """The service's database."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        _Base.metadata.create_all(self.engine)
        self._lock = threading.RLock()

    def close(self) -> None:
        self.engine.dispose()

    def create(self, owner: str, source: dict[str, Any]) -> Record:
        now = _now()
        row = _Deployment(
            id=secrets.token_hex(8),
            owner=owner,
            status="queued",
            source=json.dumps(source, sort_keys=True),
            created=now,
            updated=now,
            attempts=0,
            state="{}",
        )
        with self._lock, Session(self.engine, expire_on_commit=False) as session:
            session.add(row)
            session.commit()
            return _record(row)

    def get(self, deployment_id: str) -> Record | None:
        with self._lock, Session(self.engine) as session:
            row = session.get(_Deployment, deployment_id)
            return None if row is None else _record(row)

    def list_deployments(
        self, owner: str | None = None, *, statuses: set[str] | None = None
    ) -> list[Record]:
        """Deployments (of *owner*; with one of *statuses*), newest first."""
        query = select(_Deployment)
        if owner is not None:
            query = query.where(_Deployment.owner == owner)
        if statuses is not None:
            query = query.where(_Deployment.status.in_(sorted(statuses)))
        query = query.order_by(_Deployment.created.desc(), _Deployment.id)
        with self._lock, Session(self.engine) as session:
            return [_record(row) for row in session.scalars(query)]

    def count_active(self, owner: str | None = None) -> int:
        query = select(func.count()).select_from(_Deployment)
        query = query.where(_Deployment.status.not_in(["failed", "stopped"]))
        if owner is not None:
            query = query.where(_Deployment.owner == owner)
        with self._lock, Session(self.engine) as session:
            return int(session.scalar(query) or 0)

    def update(self, deployment_id: str, **changes: Any) -> Record:
        unknown = set(changes) - _FIELDS
        if unknown:
            raise TypeError(f"unknown fields: {sorted(unknown)}")
        if "state" in changes:
            changes["state"] = json.dumps(changes["state"], sort_keys=True)
        with self._lock, Session(self.engine, expire_on_commit=False) as session:
            row = session.get(_Deployment, deployment_id)
            if row is None:
                raise KeyError(deployment_id)
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated = _now()
            session.commit()
            return _record(row)

    def append_log(self, deployment_id: str, phase: str, line: str) -> int:
        """Store a log line; its number (from 1)."""
        with self._lock, Session(self.engine) as session:
            last = session.scalar(
                select(func.max(_LogLine.seq)).where(_LogLine.deployment_id == deployment_id)
            )
            seq = int(last or 0) + 1
            session.add(
                _LogLine(deployment_id=deployment_id, seq=seq, phase=phase, line=line, time=_now())
            )
            session.commit()
            return seq

    def log_after(self, deployment_id: str, after: int = 0, limit: int = 1000) -> list[LogRecord]:
        query = (
            select(_LogLine.seq, _LogLine.phase, _LogLine.line)
            .where(_LogLine.deployment_id == deployment_id, _LogLine.seq > after)
            .order_by(_LogLine.seq)
            .limit(limit)
        )
        with self._lock, Session(self.engine) as session:
            return [LogRecord(seq, phase, line) for seq, phase, line in session.execute(query)]


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
