"""The CLI as a new provider meets it: help on every option, duplicates skipped, wallet links
in the report, badges listed and suspended, and questions before anything irreversible."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from openpyxl import Workbook
from sqlmodel import Session, select

from issuer.models import Credential, SigningKey
from tests.issuer.conftest import unique_email
from verify.cli import main as baeji


def _run(runner: CliRunner, app: Flask, *args: str, answer: str | None = None) -> Result:
    return runner.invoke(baeji, list(args), obj=app, catch_exceptions=False, input=answer)


def _options_without_help(command: click.Command, path: str) -> list[str]:
    missing = [
        f"{path} {'/'.join(p.opts)}"
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip()
    ]
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None
            missing += _options_without_help(sub, f"{path} {name}")
    return missing


def test_every_option_of_every_command_has_help() -> None:
    """Walks the whole `baeji` group (verifier and operator commands)."""
    assert _options_without_help(baeji, "baeji") == []


def test_issue_help_lists_the_columns(runner: CliRunner, app: Flask) -> None:
    """`issue --help` names the Korean and English columns, .xlsx and --duplicates."""
    text = _run(runner, app, "issue", "--help").output
    for word in (
        "성적",
        "학점",
        "기수",
        "교육시작일",
        "교육종료일",
        "증빙",
        "XLSX",
        "--duplicates",
    ):
        assert word in text, word


def _setup(runner: CliRunner, app: Flask, slug: str, *, suspension: bool = False) -> str:
    flag = "--suspension" if suspension else "--no-suspension"
    created = _run(runner, app, "issuer", "create", "--slug", slug, "--name", "정책 센터", flag)
    assert created.exit_code == 0, created.output
    course = _run(
        runner,
        app,
        "achievement",
        "create",
        "--issuer",
        slug,
        "--name",
        "클라우드 네이티브 실무",
        "--description",
        "80시간 과정",
        "--criteria",
        "프로젝트 제출",
        "--json",
    )
    uuid: str = json.loads(course.stdout)["uuid"]
    return uuid


def _issue(runner: CliRunner, app: Flask, slug: str, course: str, path: Path, *extra: str) -> Any:
    result = _run(
        runner, app, "issue", "--issuer", slug, "--achievement", course, "--file", str(path), *extra
    )
    assert result.exit_code == 0, result.output
    return result


def test_a_rerun_with_one_late_learner_issues_exactly_one(
    runner: CliRunner, app: Flask, tmp_path: Path, session: Session
) -> None:
    """The text report gives each learner's wallet link; a second run skips the held rows."""
    course = _setup(runner, app, "late")
    names = ["김민준", "이서연", "박지호"]
    lines = ["이메일,이름,성적,기수"] + [f"{unique_email()},{n},A,1기" for n in names]
    cohort = tmp_path / "cohort.csv"
    cohort.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp949"))
    first = _issue(runner, app, "late", course, cohort)
    assert first.stdout.count("wallet: https://badges.example.kr/wallet/") == 3
    assert "3 credential(s) issued." in first.stdout
    cohort.write_bytes(
        ("\r\n".join([*lines, f"{unique_email()},최유나,B,1기"]) + "\r\n").encode("cp949")
    )
    again = _issue(runner, app, "late", course, cohort)
    assert again.stdout.count(": already-holds") == 3
    assert again.stdout.count(": issued") == 1
    assert "1 credential(s) issued; 3 skipped (already-holds)." in again.stdout
    session.rollback()
    rows = session.exec(select(Credential).where(Credential.achievement_id == course)).all()
    assert len(rows) == 4


def test_issue_reads_an_xlsx_file_and_can_replace(
    runner: CliRunner, app: Flask, tmp_path: Path, session: Session
) -> None:
    """`--file cohort.xlsx` with Korean headers; `--duplicates replace` revokes the old one."""
    course = _setup(runner, app, "xlsx")
    email = unique_email()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["이메일", "이름", "학점", "교육종료일", "전화번호"])
    sheet.append([email, "정하늘", 2, "2026-06-30", "010"])
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / "cohort.xlsx"
    path.write_bytes(out.getvalue())
    first = _issue(runner, app, "xlsx", course, path, "--json")
    assert "ignored columns" in first.stderr
    assert "전화번호" in first.stderr
    report = json.loads(first.stdout)
    assert report["ignoredColumns"] == ["전화번호"]
    old_id = report["rows"][0]["id"]
    replaced = json.loads(
        _issue(runner, app, "xlsx", course, path, "--duplicates", "replace", "--json").stdout
    )
    assert replaced["count"] == 1
    session.rollback()
    old = session.get(Credential, old_id.rsplit("/", 1)[1])
    assert old is not None
    assert old.revocation_reason == f"replaced by {replaced['rows'][0]['id']}"


def _one_badge(runner: CliRunner, app: Flask, slug: str, tmp_path: Path, course: str) -> str:
    path = tmp_path / f"{slug}.csv"
    path.write_text(f"email,name\n{unique_email()},김학습\n")
    report = json.loads(_issue(runner, app, slug, course, path, "--json").stdout)
    badge: str = report["rows"][0]["id"]
    return badge


def test_revoke_asks_naming_the_learner_and_course(
    runner: CliRunner, app: Flask, tmp_path: Path, session: Session
) -> None:
    """No answer (or 'n') revokes nothing; 'y' revokes."""
    course = _setup(runner, app, "asker")
    badge = _one_badge(runner, app, "asker", tmp_path, course)
    declined = _run(runner, app, "revoke", badge, "--reason", "오류", answer="n\n")
    assert declined.exit_code == 1
    assert "김학습" in declined.output
    assert "클라우드 네이티브 실무" in declined.output
    session.rollback()
    row = session.get(Credential, badge.rsplit("/", 1)[1])
    assert row is not None
    assert row.revoked_at is None
    accepted = _run(runner, app, "revoke", badge, "--reason", "오류", answer="y\n")
    assert accepted.exit_code == 0, accepted.output
    session.rollback()
    session.refresh(row)
    assert row.revoked_at is not None


def test_compromise_asks_saying_how_many_badges_stop_verifying(
    runner: CliRunner, app: Flask, tmp_path: Path, session: Session
) -> None:
    """`keys rotate --compromised` names the count; declining changes no key."""
    course = _setup(runner, app, "leaky")
    for _ in range(2):
        _one_badge(runner, app, "leaky", tmp_path, course)
    declined = _run(runner, app, "keys", "rotate", "--issuer", "leaky", "--compromised")
    assert declined.exit_code == 1
    assert "2 badge(s)" in declined.output
    session.rollback()
    states = {k.state for k in session.exec(select(SigningKey)).all() if "leaky" in k.key_id}
    assert "revoked" not in states
    ed25519 = _run(
        runner, app, "keys", "rotate", "--issuer", "leaky", "--type", "ed25519", "--compromised"
    )
    assert "2 badge(s)" in ed25519.output
    done = _run(runner, app, "keys", "rotate", "--issuer", "leaky", "--compromised", "--yes")
    assert done.exit_code == 0, done.output
    assert "no longer verify" in done.output


@pytest.mark.parametrize("as_json", [False, True])
def test_credential_list_suspend_unsuspend(
    runner: CliRunner, app: Flask, tmp_path: Path, as_json: bool
) -> None:
    """`credential list` filters like the API; suspend and unsuspend change the status."""
    slug = f"cred-{int(as_json)}"
    course = _setup(runner, app, slug, suspension=True)
    badge = _one_badge(runner, app, slug, tmp_path, course)
    other = _one_badge(runner, app, slug, tmp_path, course)
    suspended = _run(runner, app, "credential", "suspend", badge, "--reason", "확인 중")
    assert suspended.exit_code == 0, suspended.output
    assert "김학습" in suspended.output
    flags = ["--json"] if as_json else []
    listed = _run(
        runner, app, "credential", "list", "--issuer", slug, "--status", "suspended", *flags
    )
    assert listed.exit_code == 0, listed.output
    if as_json:
        assert [c["id"] for c in json.loads(listed.stdout)["credentials"]] == [badge]
    else:
        assert badge.rsplit("/", 1)[1] in listed.stdout
        assert other.rsplit("/", 1)[1] not in listed.stdout
    paged = _run(runner, app, "credential", "list", "--issuer", slug, "--limit", "1")
    assert len(paged.stdout.splitlines()) == 1
    assert "more: --cursor" in paged.stderr
    every = _run(runner, app, "credential", "list", "--issuer", slug, "--limit", "1", "--all")
    assert len(every.stdout.splitlines()) == 2
    lifted = _run(runner, app, "credential", "unsuspend", badge)
    assert lifted.exit_code == 0, lifted.output
    active = _run(runner, app, "credential", "list", "--issuer", slug, "--status", "active")
    assert len(active.stdout.splitlines()) == 2
