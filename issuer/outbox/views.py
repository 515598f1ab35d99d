"""Work of a request that must wait until its response is written.

No request talks SMTP: mail is queued with what it is about and sent by its job
(:mod:`issuer.outbox.service`). Some work must not even start before the answer, because
how long it takes would tell something (the self-service wallet link: whether an address
is known). :func:`after_response` runs it in a callback on the response's close, which the
WSGI server calls once the response was written, each task in its own unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from flask import Flask, Response, current_app, g

from issuer import db, settings_of
from issuer.db import Work

log = logging.getLogger(__name__)

_TASKS = "outbox_after_response"

Task = Callable[[Work], None]


def after_response(task: Task) -> None:
    """Run ``task`` with a fresh unit of work once this request's response was written.

    For work whose cost or outcome must not show in the response (the self-service
    wallet link: whether an address is known must not change how long the answer takes).
    """
    tasks: list[Task] = g.setdefault(_TASKS, [])
    tasks.append(task)


def _run(app: Flask, tasks: list[Task]) -> None:
    engine, settings = db.engine_of(app), settings_of(app)
    # The outermost boundary of this work: nobody waits for it, so failures are logged.
    try:
        for task in tasks:
            with db.unit_of_work(engine, settings, actor="public") as work:
                task(work)
    except Exception:
        log.exception("work after the response failed")


def _run_after(response: Response) -> Response:
    tasks: list[Task] = g.pop(_TASKS, [])
    if tasks:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(partial(_run, app, tasks))
    return response


def init_app(app: Flask) -> None:
    """Run each request's :func:`after_response` tasks once its response is written."""
    app.after_request(_run_after)
