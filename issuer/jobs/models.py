"""The ``job`` table: every background job, its state and progress (the source of truth).

The queue library (procrastinate, on PostgreSQL) only carries the execution: which worker
runs the job when. What the consoles and ``GET /api/v1/jobs/{id}`` show is read from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

from issuer.models import UTCDateTime

STATES = ("queued", "running", "done", "failed")


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Job(SQLModel, table=True):
    """One background job: a registered handler's name and its JSON payload.

    ``key`` (unique, optional) makes enqueueing idempotent. ``payload`` and ``result`` are
    JSON text; personal data in them is sealed by the handler (:func:`issuer.jobs.service.seal`).
    ``last_error`` holds the error's stable code and message (never a secret, never a
    traceback). ``run_after`` is when the next attempt may start (backoff, in-process runs);
    ``heartbeat_at`` is when its runner last reported (in-process runs take over a job whose
    runner went silent).
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_run_after", "state", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    issuer_id: int | None = Field(default=None, foreign_key="issuer.id", index=True)
    key: str | None = Field(default=None, max_length=255, unique=True)
    actor: str = Field(max_length=120)
    payload: str = Field(sa_column=Column(Text(), nullable=False))
    state: str = Field(default="queued", max_length=16)
    attempts: int = Field(default=0, sa_column=Column(Integer(), nullable=False))
    progress_done: int = Field(default=0, sa_column=Column(Integer(), nullable=False))
    progress_total: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    result: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    created_at: datetime = _when()
    started_at: datetime | None = _when(nullable=True)
    finished_at: datetime | None = _when(nullable=True)
    run_after: datetime | None = _when(nullable=True)
    heartbeat_at: datetime | None = _when(nullable=True)

    @property
    def pk(self) -> int:
        """The primary key of a saved job."""
        if self.id is None:
            raise RuntimeError("the job has not been saved yet")
        return self.id
