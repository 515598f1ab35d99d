"""Faults and load: a batch killed mid-way, and several worker processes at once.

Workers are real processes (``tests/issuer/worker.py``) with their own app on the shared
database; the test kills them with SIGKILL, the way a crash or an OOM kill would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from badges import Bitstring
from issuer import settings_of
from issuer.models import Credential, IdempotencyRecord
from tests.issuer.conftest import BASE_URL, REPO_ROOT_HINT, Api, Tenant, create_tenant, unique_email

pytestmark = pytest.mark.slow


def _env(app: Flask) -> dict[str, str]:
    conf = settings_of(app)
    env = {
        **os.environ,
        "BAEJI_DATABASE_URL": app.config["DATABASE_URL"],
        "BAEJI_BASE_URL": conf.base_url,
        "BAEJI_MASTER_KEY": app.config["MASTER_KEY"],
        "BAEJI_INSTANCE_PATH": app.instance_path,
    }
    return env


def _worker(app: Flask, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.issuer.worker", *args],
        cwd=REPO_ROOT_HINT,
        env=_env(app),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"worker exited early: {err}")
        if time.monotonic() > deadline:
            process.kill()
            process.communicate()
            pytest.fail("worker never reached its crash point")
        time.sleep(0.02)


def _issued_for(session: Session, issuer_id: int) -> int:
    session.rollback()  # end the read snapshot; see what others committed
    return session.exec(
        select(func.count()).select_from(Credential).where(Credential.issuer_id == issuer_id)
    ).one()


@pytest.mark.parametrize("crash_at", ["signing", "flush"])
def test_killed_batch_leaves_nothing_and_a_retry_completes_once(
    app: Flask, session: Session, tmp_path: Path, crash_at: str
) -> None:
    """SIGKILL while signing, or after the rows are written but before commit: no credential
    survives; retrying with the same idempotency key issues the batch exactly once."""
    tenant = create_tenant(app, f"crash-{crash_at}", "장애 센터")
    with app.test_client() as client:
        course = Api(client, tenant).achievement()
    rows = [
        {"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "김학습"}}
        for _ in range(6)
    ]
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps(rows))
    ready = tmp_path / "ready"
    args = [
        "batch",
        "--issuer",
        tenant.issuer.slug,
        "--rows",
        str(rows_file),
        "--key",
        "cohort-1",
        "--ready",
        str(ready),
    ]
    process = _worker(app, *args, "--crash-at", crash_at)
    _wait_for(ready, process)
    process.kill()
    process.communicate()

    assert _issued_for(session, tenant.issuer.pk) == 0
    records = select(IdempotencyRecord).where(IdempotencyRecord.issuer_id == tenant.issuer.pk)
    assert session.exec(records).first() is None

    ready.unlink()
    retry = _worker(app, *args)
    out, err = retry.communicate(timeout=120)
    assert retry.returncode == 0, err
    first = json.loads(out)
    assert first["replayed"] is False
    assert _issued_for(session, tenant.issuer.pk) == 6

    again = _worker(app, *args)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert json.loads(out) == {"ids": first["ids"], "replayed": True}
    assert _issued_for(session, tenant.issuer.pk) == 6


def _bits(client: FlaskClient, list_url: str) -> set[int]:
    document = client.get(list_url.removeprefix(BASE_URL)).json
    assert document is not None
    return set(Bitstring.decode(document["credentialSubject"]["encodedList"]).set_indexes())


def test_concurrent_workers_issue_and_revoke_without_losing_anything(
    app: Flask, client: FlaskClient, session: Session, tmp_path: Path
) -> None:
    """Four processes issue, replay shared idempotency keys, revoke and suspend at once:
    no status index is handed out twice, no bit is lost, no key is honoured twice."""
    workers, per_worker, shared_keys, revokes, suspends = 4, 4, 3, 3, 2
    tenant: Tenant = create_tenant(app, "load", "부하 센터", suspension=True)
    api = Api(client, tenant)
    course = api.achievement()
    existing = [
        api.issue(course["uuid"], unique_email(), "김학습")
        for _ in range(workers * (revokes + suspends))
    ]
    shared = {f"shared-{i}": unique_email("shared") for i in range(shared_keys)}
    processes = []
    for n in range(workers):
        targets = existing[n * (revokes + suspends) : (n + 1) * (revokes + suspends)]
        plan = {
            "api_key": tenant.api_key,
            "achievement": course["uuid"],
            "emails": [unique_email(f"w{n}") for _ in range(per_worker)],
            "shared": shared,
            "revoke": [c["uuid"] for c in targets[:revokes]],
            "suspend": [c["uuid"] for c in targets[revokes:]],
            "seed": n,
        }
        plan_file = tmp_path / f"plan-{n}.json"
        plan_file.write_text(json.dumps(plan))
        ready = tmp_path / f"ready-{n}"
        process = _worker(
            app,
            "load",
            "--plan",
            str(plan_file),
            "--ready",
            str(ready),
            "--go",
            str(tmp_path / "go"),
        )
        processes.append((process, ready))
    for process, ready in processes:
        _wait_for(ready, process)
    (tmp_path / "go").write_text("go")
    reports: list[dict[str, Any]] = []
    for process, _ in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        reports.append(json.loads(out))

    for report in reports:
        assert report["errors"] == []
    # Each shared idempotency key was honoured once: every worker got the same credential.
    for key in shared:
        assert len({r["shared"][key] for r in reports}) == 1, key
    session.rollback()  # end the read snapshot; see what others committed
    rows = session.exec(select(Credential).where(Credential.issuer_id == tenant.issuer.pk)).all()
    assert len(rows) == len(existing) + workers * per_worker + shared_keys
    for purpose in ("revocation", "suspension"):
        slots = Counter(
            (getattr(r, f"{purpose}_list_id"), getattr(r, f"{purpose}_index")) for r in rows
        )
        assert max(slots.values()) == 1, purpose
    # Every revocation and suspension bit is in the signed list; no other bit is.
    revoked = {r.id for r in rows if r.revoked_at is not None}
    suspended = {r.id for r in rows if r.suspended_at is not None}
    assert len(revoked) == workers * revokes
    assert len(suspended) == workers * suspends
    conf = settings_of(app)
    for purpose, chosen in (("revocation", revoked), ("suspension", suspended)):
        by_list: dict[str, set[int]] = {}
        for row in rows:
            by_list.setdefault(getattr(row, f"{purpose}_list_id"), set())
        for row in rows:
            if row.id in chosen:
                by_list[getattr(row, f"{purpose}_list_id")].add(getattr(row, f"{purpose}_index"))
        for list_id, expected in by_list.items():
            assert _bits(client, f"{conf.base_url}/status/{list_id}") == expected, purpose
