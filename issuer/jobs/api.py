"""``/api/v1/jobs``: the calling issuer's background jobs, with their progress and results."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from issuer.db import get_session
from issuer.errors import NotFound, ValidationFailed
from issuer.jobs import service as jobs
from issuer.operations import caller, operation, settings
from issuer.schemas import JobList, JobOut

bp = Blueprint("jobs", __name__, url_prefix="/api/v1")
TAG = "jobs"


def _job_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise NotFound(f"no job {text!r}")
    return int(text)


@bp.get("/jobs/<job_id>")
@operation(
    summary="Get a background job",
    tag=TAG,
    responses={200: JobOut},
    description="A batch too large for one request answers 202 with this address. Poll it "
    "(every few seconds) until state is done (result holds the per-row outcome) or failed "
    "(lastError says why). Another issuer's job is not found.",
)
def show(job_id: str) -> Response:
    """Return one of the calling issuer's jobs."""
    who = caller()
    job = jobs.get_job(get_session(), _job_id(job_id), issuer_id=who.issuer.pk)
    return jsonify(jobs.job_out(settings(), job).to_json())


@bp.get("/jobs")
@operation(
    summary="List background jobs",
    tag=TAG,
    responses={200: JobList},
    errors={422: "An unknown state (validation-error)"},
    query={
        "state": {
            "description": "only jobs in this state",
            "schema": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
        },
    },
    description="The calling issuer's 50 newest jobs, newest first, without results.",
)
def index() -> Response:
    """List the calling issuer's newest jobs."""
    who = caller()
    state = request.args.get("state")
    if state not in (None, "queued", "running", "done", "failed"):
        raise ValidationFailed("state must be queued, running, done or failed")
    rows = jobs.list_jobs(get_session(), issuer_id=who.issuer.pk, state=state)
    conf = settings()
    out = JobList(
        jobs=[jobs.job_out(conf, row).model_copy(update={"result": None}) for row in rows]
    )
    return jsonify(out.to_json())
