"""Operator commands, run through the real `baeji` group with the test app as context object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from issuer import cli
from issuer.models import ApiKey, AuditEvent, Credential
from tests.issuer.conftest import REPO_ROOT_HINT, unique_email
from verify.cli import main as baeji


def _run(runner: CliRunner, app: Flask, *args: str) -> Result:
    return runner.invoke(baeji, list(args), obj=app, catch_exceptions=False)


def test_commands_are_registered_in_the_baeji_group() -> None:
    """The entry point list holds every operator command of DESIGN.md."""
    names = {command.name for command in cli.commands}
    assert names == {
        "init",
        "serve",
        "demo",
        "issuer",
        "apikey",
        "achievement",
        "issue",
        "revoke",
        "credential",
        "wallet",
        "keys",
        "user",
        "mail",
        "worker",
        "webhooks",
    }
    for name, subcommands in {
        "issuer": {"create"},
        "apikey": {"create", "revoke"},
        "wallet": {"link"},
        "keys": {"rotate"},
        "user": {"create"},
        "mail": {"send", "status"},
        "webhooks": {"deliver"},
    }.items():
        group = next(c for c in cli.commands if c.name == name)
        assert isinstance(group, click.Group)
        assert subcommands <= set(group.commands)


def test_issuer_create_prints_did_and_key(
    runner: CliRunner, app: Flask, client: FlaskClient
) -> None:
    """`issuer create --json` prints the DID and a working API key."""
    result = _run(
        runner, app, "issuer", "create", "--slug", "cli-academy", "--name", "CLI 아카데미", "--json"
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["did"] == "did:web:badges.example.kr:issuers:cli-academy"
    response = client.get(
        "/api/v1/achievements", headers={"Authorization": f"Bearer {body['api_key']}"}
    )
    assert response.status_code == 200
    again = _run(runner, app, "issuer", "create", "--slug", "cli-academy", "--name", "x")
    assert again.exit_code == 1
    assert "already exists" in again.output
    bad = _run(runner, app, "issuer", "create", "--slug", "Bad Slug!", "--name", "x")
    assert bad.exit_code == 1
    assert "slug" in bad.output


def test_apikey_create_and_revoke(
    runner: CliRunner, app: Flask, client: FlaskClient, session: Session
) -> None:
    """A new key works until revoked; only its digest is stored."""
    _run(runner, app, "issuer", "create", "--slug", "keyed", "--name", "키 아카데미")
    created = _run(runner, app, "apikey", "create", "--issuer", "keyed", "--json")
    key = json.loads(created.stdout)["api_key"]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/achievements", headers=headers).status_code == 200
    prefix = key.split("_")[1]
    stored = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).one()
    assert key not in stored.secret_hash
    assert key.split("_", 2)[2] not in stored.secret_hash
    revoked = _run(runner, app, "apikey", "revoke", "--issuer", "keyed", prefix)
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/achievements", headers=headers).status_code == 401
    listed = _run(runner, app, "apikey", "list", "--issuer", "keyed")
    assert f"{prefix}\trevoked" in listed.output
    missing = _run(runner, app, "apikey", "revoke", "--issuer", "keyed", "nosuchprefix")
    assert missing.exit_code == 1


def _course(runner: CliRunner, app: Flask, slug: str) -> str:
    result = _run(
        runner,
        app,
        "achievement",
        "create",
        "--issuer",
        slug,
        "--name",
        "파이썬 데이터 분석 기초",
        "--description",
        "40시간 과정",
        "--criteria",
        "프로젝트 제출",
        "--tag",
        "데이터",
        "--json",
    )
    assert result.exit_code == 0, result.output
    uuid: str = json.loads(result.stdout)["uuid"]
    return uuid


def test_issue_csv_reports_each_row_and_is_idempotent(
    runner: CliRunner, app: Flask, tmp_path: Path, session: Session
) -> None:
    """`issue --csv` issues every row; running the same file again issues nothing new."""
    _run(runner, app, "issuer", "create", "--slug", "cohort", "--name", "코호트 센터")
    course = _course(runner, app, "cohort")
    csv_file = tmp_path / "cohort.csv"
    emails = [unique_email() for _ in range(3)]
    csv_file.write_bytes(
        ("이메일,성명\n" + "".join(f"{e},학습자{i}\n" for i, e in enumerate(emails))).encode(
            "cp949"
        )
    )
    first = _run(
        runner,
        app,
        "issue",
        "--issuer",
        "cohort",
        "--achievement",
        course,
        "--csv",
        str(csv_file),
        "--json",
    )
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["count"] == 3
    assert [r["status"] for r in report["rows"]] == ["issued"] * 3
    assert [r["line"] for r in report["rows"]] == [2, 3, 4]
    again = _run(
        runner,
        app,
        "issue",
        "--issuer",
        "cohort",
        "--achievement",
        course,
        "--csv",
        str(csv_file),
        "--json",
    )
    replay = json.loads(again.stdout)
    assert replay["replayed"] is True
    assert [r["id"] for r in replay["rows"]] == [r["id"] for r in report["rows"]]
    text = _run(
        runner, app, "issue", "--issuer", "cohort", "--achievement", course, "--csv", str(csv_file)
    )
    assert "already issued" in text.output


def test_issue_csv_with_bad_rows_issues_nothing(
    runner: CliRunner, app: Flask, tmp_path: Path, session: Session
) -> None:
    """Bad rows are listed with their line; the exit status is 1 and nothing is issued."""
    _run(runner, app, "issuer", "create", "--slug", "badrows", "--name", "검증 센터")
    course = _course(runner, app, "badrows")
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(
        f"email,name\n{unique_email()},김민준\nbroken,이서연\n", encoding="utf-8-sig"
    )
    before = len(session.exec(select(Credential)).all())
    result = runner.invoke(
        baeji,
        ["issue", "--issuer", "badrows", "--achievement", course, "--csv", str(csv_file)],
        obj=app,
    )
    assert result.exit_code == 1
    assert "row 2 (line 3): recipient.email" in result.output
    assert "nothing was issued" in result.output
    session.rollback()  # end the read snapshot; see what others committed
    assert len(session.exec(select(Credential)).all()) == before


def test_revoke_command(
    runner: CliRunner, app: Flask, tmp_path: Path, client: FlaskClient, session: Session
) -> None:
    """`revoke ID --reason R` revokes and records who did it."""
    _run(runner, app, "issuer", "create", "--slug", "revoker", "--name", "취소 센터")
    course = _course(runner, app, "revoker")
    csv_file = tmp_path / "one.csv"
    csv_file.write_text(f"email,name\n{unique_email()},김학습\n")
    issued = json.loads(
        _run(
            runner,
            app,
            "issue",
            "--issuer",
            "revoker",
            "--achievement",
            course,
            "--csv",
            str(csv_file),
            "--json",
        ).stdout
    )["rows"][0]["id"]
    result = _run(runner, app, "revoke", issued, "--reason", "중복 발급", "--yes")
    assert result.exit_code == 0, result.output
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.subject == issued, AuditEvent.action == "credential.revoke"
        )
    ).one()
    assert event.actor.startswith("cli:")
    assert _run(runner, app, "revoke", issued, "--reason", "again", "--yes").exit_code == 1


def test_keys_rotate_and_list(runner: CliRunner, app: Flask) -> None:
    """`keys rotate` prints the new key ids; `keys list` shows states and nothing secret."""
    _run(runner, app, "issuer", "create", "--slug", "rotor", "--name", "로터")
    rotated = _run(runner, app, "keys", "rotate", "--issuer", "rotor", "--type", "rsa")
    assert rotated.exit_code == 0, rotated.output
    assert "#key-3" in rotated.output
    listed = _run(runner, app, "keys", "list", "--issuer", "rotor").output
    assert "#key-2\tRSA\tretired" in listed
    assert "#key-3\tRSA\tactive" in listed
    compromised = _run(
        runner,
        app,
        "keys",
        "compromise",
        "--issuer",
        "rotor",
        "did:web:badges.example.kr:issuers:rotor#key-1",
        "--yes",
    )
    assert "#key-4" in compromised.output
    assert (
        "#key-1\tEd25519\trevoked" in _run(runner, app, "keys", "list", "--issuer", "rotor").output
    )


def test_demo_seeds_korean_sample_data_once(
    runner: CliRunner, app: Flask, client: FlaskClient
) -> None:
    """`demo` creates two providers with badges (one revoked); running it again reuses them.

    It ends with a wallet link of a learner who holds badges of both providers and a badge
    link, which open in a browser (in Korean for a Korean browser).
    """
    first = _run(runner, app, "demo")
    assert first.exit_code == 0, first.output
    assert "김민준" in first.output
    assert "revoked" in first.output
    assert client.get("/issuers/demo").status_code == 200
    assert client.get("/issuers/demo-nuri").status_code == 200
    second = _run(runner, app, "demo")
    assert "exist already" in second.output
    badge_lines = [line for line in first.output.splitlines() if line.startswith("  ")]
    assert sum("/credentials/" in line for line in badge_lines) == 13  # 12 badges + 1 to open
    assert second.output.count("/credentials/") == first.output.count("/credentials/")
    wallet = next(w for w in first.output.split() if "/wallet/" in w)
    badge = first.output.split("verification page:")[1].split()[0]
    korean = {"Accept": "text/html", "Accept-Language": "ko-KR,ko;q=0.9"}
    base = "https://badges.example.kr"
    html = client.get(wallet.removeprefix(base), headers=korean).get_data(as_text=True)
    assert "한빛 디지털 아카데미 (데모)" in html
    assert "누리 ICT 교육센터 (데모)" in html
    assert "파이썬 데이터 분석 기초" in html
    verdict = client.get(badge.removeprefix(base), headers=korean).get_data(as_text=True)
    assert 'data-verdict="valid"' in verdict
    assert "유효한 배지" in verdict
    record = client.get(wallet.removeprefix(base) + "/clr.json").json
    assert record is not None
    assert len(record["credentialSubject"]["association"]) == 2
    body = client.get(wallet.removeprefix(base), headers={"Accept": "application/json"}).json
    assert body is not None
    assert body["scope"] == "full"
    assert {c["issuer"] for c in body["credentials"]} == {
        "한빛 디지털 아카데미 (데모)",
        "누리 ICT 교육센터 (데모)",
    }


def test_wallet_link_prints_a_full_link_for_the_learner(
    runner: CliRunner, app: Flask, client: FlaskClient, session: Session
) -> None:
    """`wallet link --email` prints a new link to the whole wallet and logs who made it."""
    first = _run(runner, app, "issuer", "create", "--slug", "link-a", "--name", "A", "--json")
    second = _run(runner, app, "issuer", "create", "--slug", "link-b", "--name", "B", "--json")
    email = unique_email("link")
    ids = []
    for created in (first, second):
        headers = {"Authorization": f"Bearer {json.loads(created.stdout)['api_key']}"}
        course = client.post(
            "/api/v1/achievements",
            json={"name": "과정", "description": "설명", "criteria": {"narrative": "이수"}},
            headers=headers,
        ).json
        assert course is not None
        issued = client.post(
            "/api/v1/credentials",
            json={"achievementId": course["uuid"], "recipient": {"email": email, "name": "김학습"}},
            headers=headers,
        ).json
        assert issued is not None
        ids.append(issued["id"])
    result = _run(runner, app, "wallet", "link", "--email", email.upper())
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert link.startswith("https://badges.example.kr/wallet/")
    body = client.get(
        link.removeprefix("https://badges.example.kr"), headers={"Accept": "application/json"}
    ).json
    assert body is not None
    assert body["scope"] == "full"
    assert {c["id"] for c in body["credentials"]} == set(ids)
    session.rollback()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "wallet.link")).one()
    assert event.actor.startswith("cli:")
    assert link.rsplit("/", 1)[1] not in (event.detail or "") + event.subject
    for unknown in (unique_email("nobody"), "not-an-address"):
        refused = runner.invoke(baeji, ["wallet", "link", "--email", unknown], obj=app)
        assert refused.exit_code == 1
        assert "no learner" in refused.output


def test_unknown_issuer_is_a_clean_error(runner: CliRunner, app: Flask) -> None:
    """Naming an issuer that does not exist exits 1 with a message, not a traceback."""
    result = runner.invoke(baeji, ["keys", "rotate", "--issuer", "ghost"], obj=app)
    assert result.exit_code == 1
    assert "no issuer 'ghost'" in result.output


@pytest.mark.slow
def test_init_demo_from_a_fresh_environment(tmp_path: Path) -> None:
    """`baeji init` then `baeji demo` work from the environment alone (what `make run` does)."""
    env = {
        **os.environ,
        "BAEJI_INSTANCE_PATH": str(tmp_path / "instance"),
        "BAEJI_BASE_URL": "http://127.0.0.1:5000",
    }
    env.pop("BAEJI_DATABASE_URL", None)
    env.pop("BAEJI_MASTER_KEY", None)
    baeji_bin = Path(sys.executable).parent / "baeji"
    for args in (["init"], ["init"], ["demo"]):
        completed = subprocess.run(
            [str(baeji_bin), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO_ROOT_HINT,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
    key_file = tmp_path / "instance" / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "instance" / "baeji.db").exists()


def test_commands_refuse_an_uninitialized_database(runner: CliRunner, tmp_path: Path) -> None:
    """Before `init`, commands say to run it."""
    from issuer import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "http://127.0.0.1:5000"})
    result = runner.invoke(baeji, ["issuer", "create", "--slug", "x", "--name", "x"], obj=app)
    assert result.exit_code == 1
    assert "baeji init" in result.output
    from issuer import db

    db.engine_of(app).dispose()


@pytest.mark.parametrize("command", ["serve"])
def test_serve_refuses_an_uninitialized_database(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    """`serve` on an empty database stops with a hint instead of serving errors."""
    from issuer import create_app, db

    app = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "http://127.0.0.1:5000"})
    result = runner.invoke(baeji, [command], obj=app)
    assert result.exit_code == 1
    assert "baeji init" in result.output
    db.engine_of(app).dispose()
