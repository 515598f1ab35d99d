"""Mail of a request goes out after its response: no request waits for an SMTP server.

A request that queued mail (:func:`issuer.outbox.service.queue` on its session), or that
left work for later with :func:`after_response`, gets a callback on its response's close:
the WSGI server calls it once the response was written, so the client has its answer
before any SMTP conversation starts. The callback runs the deferred work, each in its own
unit of work, then sends what is due (:func:`issuer.outbox.service.send_due`). Rows it could
not send stay due for the next request's pass, or ``baeji mail send`` (cron), or a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from flask import Flask, Response, current_app, g

from issuer import db, settings_of
from issuer.db import Work
from issuer.outbox import service

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
        with db.unit_of_work(engine, settings, actor="outbox") as work:
            service.send_due(work)
    except Exception:
        log.exception("sending mail after the response failed")


def _send_after(response: Response) -> Response:
    tasks: list[Task] = g.pop(_TASKS, [])
    session = g.get("db_session")
    queued = session is not None and service.queued_in(session)
    if tasks or queued:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(partial(_run, app, tasks))
    return response


def init_app(app: Flask) -> None:
    """Send each request's mail after its response (see the module docstring)."""
    app.after_request(_send_after)
