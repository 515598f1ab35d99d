"""A worker process for the crash and concurrency tests (``python -m tests.issuer.worker``).

It builds its own app on the shared database, from the environment the test hands it:
``BAEJI_DATABASE_URL``, ``BAEJI_BASE_URL``, ``BAEJI_MASTER_KEY``, ``BAEJI_INSTANCE_PATH``.

Modes:
    batch: issue a batch through ``issuer.credentials.service.issue_batch``; with
        ``--crash-at signing``
        it stops (and waits to be killed) while signing, with ``--crash-at flush`` after the
        credential rows are written inside the still-open transaction.
    load: through the HTTP API (a test client of its own app): issue, replay shared
        idempotency keys, revoke and suspend, then print what happened as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

from issuer import create_app, db, settings_of
from issuer.credentials import service as services
from issuer.db import Work
from issuer.issuers import service as accounts


def _wait_forever(ready: Path) -> None:
    ready.write_text("ready")
    while True:
        time.sleep(1)


def run_batch(args: argparse.Namespace) -> None:
    """Issue a batch, optionally stopping at a crash point."""
    app = create_app()
    conf = settings_of(app)
    rows = json.loads(Path(args.rows).read_text())
    ready = Path(args.ready)

    def progress(done: int, _total: int) -> None:
        if args.crash_at == "signing" and done == len(rows) // 2:
            _wait_forever(ready)

    if args.crash_at == "flush":
        # After the credential rows are written (one multi-row INSERT), before the commit.
        @event.listens_for(Engine, "after_cursor_execute")
        def _after_insert(_connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO CREDENTIAL "):
                _wait_forever(ready)

    with db.new_session(db.engine_of(app)) as session:
        issuer = accounts.issuer_by_slug(session, args.issuer)
        outcome = services.issue_batch(
            Work(session, conf, conf.clock(), "worker", issuer),
            rows,
            idempotency_key=args.key,
            progress=progress,
        )
    print(
        json.dumps({"ids": [i.credential.id for i in outcome.issued], "replayed": outcome.replayed})
    )


def run_load(args: argparse.Namespace) -> None:
    """Issue, replay shared keys, revoke and suspend through the API; report as JSON."""
    app = create_app()
    plan: dict[str, Any] = json.loads(Path(args.plan).read_text())
    client = app.test_client()
    headers = {"Authorization": f"Bearer {plan['api_key']}"}
    Path(args.ready).write_text("ready")
    go = Path(args.go)
    while not go.exists():
        time.sleep(0.01)
    report: dict[str, Any] = {"issued": [], "shared": {}, "errors": []}

    def post(path: str, body: Any, extra: dict[str, str] | None = None) -> dict[str, Any] | None:
        response = client.post(path, json=body, headers={**headers, **(extra or {})})
        if response.status_code >= 300:
            report["errors"].append([path, response.status_code, response.json])
            return None
        result: dict[str, Any] = response.json  # type: ignore[assignment]
        return result

    # Every worker starts with the shared idempotency keys, in the same order, so that the
    # same key arrives from several processes at once; the rest is interleaved differently
    # in each worker so issuing and status changes overlap.
    steps: list[tuple[str, Any]] = [("shared", item) for item in plan["shared"].items()]
    rest: list[tuple[str, Any]] = [("issue", email) for email in plan["emails"]]
    rest += [("revoke", credential) for credential in plan["revoke"]]
    rest += [("suspend", credential) for credential in plan["suspend"]]
    random.Random(plan["seed"]).shuffle(rest)
    for kind, value in steps + rest:
        if kind == "issue":
            body = {
                "achievementId": plan["achievement"],
                "recipient": {"email": value, "name": "김학습"},
            }
            result = post("/api/v1/credentials", body)
            if result:
                report["issued"].append(result["uuid"])
        elif kind == "shared":
            key, email = value
            body = {
                "achievementId": plan["achievement"],
                "recipient": {"email": email, "name": "김학습"},
            }
            result = post("/api/v1/credentials", body, {"Idempotency-Key": key})
            if result:
                report["shared"][key] = result["uuid"]
        else:
            post(f"/api/v1/credentials/{value}/{kind}", {"reason": f"{kind} under load"})
    db.engine_of(app).dispose()
    print(json.dumps(report))


def main(argv: list[str]) -> None:
    """Parse arguments and run one mode."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    batch = sub.add_parser("batch")
    batch.add_argument("--issuer", required=True)
    batch.add_argument("--rows", required=True)
    batch.add_argument("--key", required=True)
    batch.add_argument("--ready", required=True)
    batch.add_argument("--crash-at", choices=["signing", "flush", "none"], default="none")
    load = sub.add_parser("load")
    load.add_argument("--plan", required=True)
    load.add_argument("--ready", required=True)
    load.add_argument("--go", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if args.mode == "batch":
        run_batch(args)
    else:
        run_load(args)


if __name__ == "__main__":
    main(sys.argv[1:])
