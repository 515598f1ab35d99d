"""Console pages for the provider's webhooks (owners): endpoints, the secret shown once,
removing an endpoint, each endpoint's deliveries with the answers they got, and replay.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for

from issuer.console.views import _work, bp, field_errors, needs, page
from issuer.errors import APIError
from issuer.webhooks import service as webhooks
from issuer.webhooks.models import EVENTS

_LOG_SIZE = 50


@bp.route("/settings/webhooks", methods=["GET", "POST"])
@needs("manage")
def webhooks_page() -> Any:
    work = _work()
    created, problem = None, None
    empty: dict[str, Any] = {"url": "", "events": list(EVENTS), "description": ""}
    form = empty
    if request.method == "POST":
        if request.form.get("disable"):
            webhooks.disable_endpoint(work, request.form["disable"])
            return redirect(url_for("console.webhooks_page", done="removed"))
        form = {
            "url": request.form.get("url", "").strip(),
            "events": request.form.getlist("events"),
            "description": request.form.get("description", "").strip(),
        }
        try:
            created = webhooks.create_endpoint(
                work,
                url=form["url"],
                events=form["events"],
                description=form["description"] or None,
            )
            form = empty  # added: the form is ready for another one
        except APIError as err:
            problem = field_errors(err)[0]
    return page(
        "webhooks.html",
        status=422 if problem else 200,
        endpoints=webhooks.list_endpoints(work),
        events_of=webhooks.events_of,
        all_events=EVENTS,
        created=created,
        problem=problem,
        form=form,
        done=request.args.get("done"),
        endpoint=None,
    )


@bp.route("/settings/webhooks/<endpoint_id>", methods=["GET", "POST"])
@needs("manage")
def webhook_deliveries(endpoint_id: str) -> Any:
    work = _work()
    endpoint = webhooks.get_endpoint(work, endpoint_id)
    if request.method == "POST":
        webhooks.replay(work, endpoint.id, request.form.get("replay", ""))
        return redirect(url_for("console.webhook_deliveries", endpoint_id=endpoint.id, done="1"))
    return page(
        "webhooks.html",
        endpoint=endpoint,
        events_of=webhooks.events_of,
        deliveries=webhooks.deliveries(work, endpoint.id, limit=_LOG_SIZE),
        payload_of=webhooks.payload_of,
        done=request.args.get("done"),
    )
