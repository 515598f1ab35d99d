"""The HTTP section: Baeji and a bare Flask app under gunicorn -w 2, loaded in the same run.

Baeji runs from a fresh instance folder on SQLite with the demo data (what ``baeji init``
and ``baeji demo`` create), its public origin the server's own ``http://127.0.0.1:<port>``
so that it verifies its own badges as a deployment would. Both servers listen on a free
port of 127.0.0.1 only and are stopped when the run ends. Each row first warms the workers
up (a bounded load of a second whose numbers are dropped; not with ``--quick``), then runs
the bounded load of :mod:`benchmarks.load` in a process of its own and reads the workers'
CPU time and memory from ``/proc`` around it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks import shared
from benchmarks.load import COUNTER, LoadResult, LoadSpec
from benchmarks.registry import Case, Unavailable
from benchmarks.timing import Load

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
BARE_FLASK = "Bare Flask hello world (GET /, baseline)"
HTML = {"Accept": "text/html"}
_START_SECONDS = 60.0
_REQUIRES = ("issuer:create_app", "gunicorn:__version__")


# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free now (the server binds it just after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    """Return the child processes of ``pid`` (gunicorn's workers), from ``/proc``."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in listed.read_text().split()]
    except OSError:
        pass
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_ns(pid: int) -> int | None:
    """Return the CPU time process ``pid`` has used, in nanoseconds (``/proc``).

    ``schedstat`` counts it in nanoseconds (every thread of the process, user and system);
    ``stat`` in clock ticks (10 ms) is the fallback, too coarse for a short load.
    """
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
        return sum(int((thread / "schedstat").read_text().split()[0]) for thread in threads)
    except (OSError, ValueError, IndexError):
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    # After the command: state is field 3 of stat(5), utime 14 and stime 15.
    ticks = int(fields[11]) + int(fields[12])
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _rss_bytes(pid: int) -> int | None:
    """Return the resident set size of process ``pid`` in bytes (``VmRSS``), if readable."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


@dataclass(frozen=True)
class Server:
    """A gunicorn master on 127.0.0.1:``port`` and its log file."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        """Return the worker processes' ids."""
        return _children(self.process.pid)

    def cpu_ns(self) -> dict[int, int]:
        """Return each worker's CPU time so far, in nanoseconds."""
        readings = {pid: _cpu_ns(pid) for pid in self.workers()}
        return {pid: used for pid, used in readings.items() if used is not None}

    def worker_rss(self) -> tuple[int, ...]:
        """Return each worker's resident set size in bytes."""
        sizes = (_rss_bytes(pid) for pid in sorted(self.workers()))
        return tuple(size for size in sizes if size is not None)

    def log_tail(self) -> str:
        """Return the end of the server's log, to explain a failure."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return text[-2000:]


def _get_status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_gunicorn(
    app: str, *, port: int, env: Mapping[str, str], ready_path: str, stack: ExitStack
) -> Server:
    """Start ``gunicorn -w 2 app`` on 127.0.0.1:``port``; wait until it answers ``ready_path``.

    The server is stopped (SIGTERM, then SIGKILL) when ``stack`` closes.

    Raises:
        Unavailable: the server did not start or answer within a minute.
    """
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baeji-gunicorn-")))
    log = folder / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--timeout",
                "120",
                # A worker restarted mid-row (gunicorn.conf.py's max_requests) takes its CPU
                # time with it and charges its start-up to the row: none during a run.
                "--max-requests",
                "0",
                app,
            ],
            cwd=REPO_ROOT,
            # Only the environment given configures the app, not the caller's BAEJI_* settings.
            env={**{k: v for k, v in os.environ.items() if not k.startswith("BAEJI_")}, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    stack.callback(_stop, process)
    server = Server(port, process, log)
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Unavailable(f"gunicorn {app} exited: {server.log_tail()}")
        if _get_status(port, ready_path) == 200 and len(server.workers()) >= WORKERS:
            return server
        time.sleep(0.1)
    raise Unavailable(f"gunicorn {app} did not answer {ready_path} within a minute")


# -- load -------------------------------------------------------------------------------------


def _generate(spec: LoadSpec) -> LoadResult:
    """Run :mod:`benchmarks.load` in a process of its own and return what it measured."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.load"],
        input=json.dumps(asdict(spec)),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=spec.seconds + 300,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the load generator failed: {completed.stderr[-2000:]}")
    return LoadResult(**json.loads(completed.stdout))


@dataclass(frozen=True)
class Request:
    """What a row sends; ``body`` may contain :data:`benchmarks.load.COUNTER`."""

    path: str
    method: str = "GET"
    headers: Mapping[str, str] | None = None
    body: str | None = None
    expect: int = 200


def measure_load(server: Server, request: Request, *, connections: int, note: str = "") -> Load:
    """Warm ``server`` up on ``request``, then load it within the run's bounds.

    Raises:
        RuntimeError: no request was answered as expected (the first failure is quoted).
    """
    budget = shared.current().budget
    spec = LoadSpec(
        port=server.port,
        path=request.path,
        method=request.method,
        headers=dict(request.headers or {}),
        body=request.body,
        expect=request.expect,
        connections=connections,
        seconds=budget.load_seconds,
        requests=budget.load_requests,
    )
    if budget.load_warmup_seconds > 0:
        warmup = _generate(
            replace(
                spec,
                seconds=budget.load_warmup_seconds,
                requests=max(2 * WORKERS, connections),
            )
        )
        if warmup.requests == 0:
            raise RuntimeError(
                f"{request.method} {request.path} was never answered {request.expect} "
                f"while warming up: {warmup.first_error}\n{server.log_tail()}"
            )
    before = server.cpu_ns()
    result = _generate(spec)
    after = server.cpu_ns()
    if result.requests == 0:
        raise RuntimeError(
            f"{request.method} {request.path} was never answered {request.expect}: "
            f"{result.first_error}\n{server.log_tail()}"
        )
    server_cpu: float | None = None
    if after:
        used = sum(cpu - before.get(pid, 0) for pid, cpu in after.items())
        server_cpu = used / result.requests
    return Load(
        connections=connections,
        requests=result.requests,
        errors=result.errors,
        seconds=result.seconds,
        p50_ns=result.p50_ns,
        p99_ns=result.p99_ns,
        mean_ns=result.mean_ns,
        max_ns=result.max_ns,
        server_cpu_ns=server_cpu,
        worker_rss=server.worker_rss(),
        client_cpu_ns=result.client_cpu_ns,
        note=note,
    )


# -- the servers of this section --------------------------------------------------------------


def baeji_environment(folder: Path, port: int, database_url: str) -> dict[str, str]:
    """The ``BAEJI_*`` environment of an instance in ``folder`` served on ``port``."""
    from keys import MasterKey

    return {
        "BAEJI_INSTANCE_PATH": str(folder),
        "BAEJI_DATABASE_URL": database_url,
        "BAEJI_BASE_URL": f"http://127.0.0.1:{port}",
        "BAEJI_MASTER_KEY": MasterKey.generate()[1],
        # The rows measure verifying and issuing, not refusals: the limits that would
        # answer most of the load with 429 are raised out of its reach (they are still
        # counted, so their cost is in the figures).
        "BAEJI_RATELIMIT_VERIFY": "100000000 per minute",
        "BAEJI_RATELIMIT_ISSUE": "100000000 per minute",
        "BAEJI_RATELIMIT_LOOKUP": "100000000 per minute",
    }


def app_config(env: Mapping[str, str]) -> dict[str, Any]:
    """The configuration :func:`issuer.create_app` reads from ``env``, for seeding."""
    return {key.removeprefix("BAEJI_"): value for key, value in env.items()}


@dataclass(frozen=True)
class Seeded:
    """What the demo seeding left for the rows to request."""

    issuer_slug: str
    credential_id: str
    credential_json: str
    status_list_id: str
    achievement_id: str
    api_key: str
    wallet_token: str


def seed_demo(config: Mapping[str, Any]) -> Seeded:
    """Do what ``baeji init`` and ``baeji demo`` do, plus an API key for the benchmark.

    Returns the demo issuer's newest active credential (the one the rows fetch and verify)
    and a full wallet link of the learner holding the most badges.
    """
    from sqlmodel import col, select

    from issuer import create_app, db, demo, settings_of
    from issuer.issuers import platform
    from issuer.issuers import service as accounts
    from issuer.learners import service as learners
    from issuer.models import Credential

    app = create_app(dict(config))
    engine = db.engine_of(app)
    try:
        db.upgrade(engine)
        conf = settings_of(app)
        with db.new_session(engine) as session:
            unit = db.Work(session, conf, conf.clock(), "benchmark")
            platform.ensure_platform(unit)
            demo.seed(unit)
            issuer = accounts.issuer_by_slug(session, demo.SLUG)
            api_key = accounts.create_api_key(
                db.Work(session, conf, conf.clock(), "benchmark", issuer), name="benchmark"
            )
            row = session.exec(
                select(Credential)
                .where(
                    Credential.issuer_id == issuer.pk,
                    col(Credential.revoked_at).is_(None),
                    col(Credential.suspended_at).is_(None),
                )
                .order_by(col(Credential.valid_from).desc())
            ).first()
            if row is None:
                raise RuntimeError("the demo data has no active credential")
            holders = Counter(session.exec(select(Credential.learner_id)).all())
            with unit.write():
                token = learners.new_wallet_token(
                    unit, holders.most_common(1)[0][0], issuer_id=None
                )
            return Seeded(
                issuer_slug=issuer.slug,
                credential_id=row.id,
                credential_json=row.document,
                status_list_id=row.revocation_list_id,
                achievement_id=row.achievement_id,
                api_key=api_key,
                wallet_token=token,
            )
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Demo:
    """Baeji serving the demo data, and what the rows request from it."""

    server: Server
    seeded: Seeded


def _demo(stack: ExitStack) -> Demo:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baeji-bench-")))
    port = free_port()
    env = baeji_environment(folder, port, f"sqlite:///{folder / 'baeji.db'}")
    seeded = seed_demo(app_config(env))
    server = start_gunicorn(
        "issuer:create_app()", port=port, env=env, ready_path="/healthz", stack=stack
    )
    return Demo(server, seeded)


def _bare_flask(stack: ExitStack) -> Server:
    return start_gunicorn(
        "benchmarks.hello:app", port=free_port(), env={}, ready_path="/", stack=stack
    )


def _bare_flask_row(stack: ExitStack) -> Load:
    server = shared.fixture("bare-flask", _bare_flask)
    return measure_load(server, Request("/"), connections=shared.current().budget.connections)


def _demo_row(request_of: Callable[[Seeded], Request]) -> Callable[[ExitStack], Load]:
    def setup(stack: ExitStack) -> Load:
        target = shared.fixture("baeji-demo-sqlite", _demo)
        return measure_load(
            target.server,
            request_of(target.seeded),
            connections=shared.current().budget.connections,
        )

    return setup


def _issue_request(target: Seeded) -> Request:
    body = json.dumps(
        {
            "achievementId": target.achievement_id,
            "recipient": {"email": f"load{COUNTER}@example.kr", "name": f"수강생 {COUNTER}"},
        },
        ensure_ascii=False,
    )
    return Request(
        "/api/v1/credentials",
        method="POST",
        headers={"Authorization": f"Bearer {target.api_key}", "Content-Type": "application/json"},
        body=body,
        expect=201,
    )


_ROWS: tuple[tuple[str, Callable[[Seeded], Request]], ...] = (
    (
        "Verification page, GET /credentials/{id} (HTML)",
        lambda t: Request(f"/credentials/{t.credential_id}", headers=HTML),
    ),
    (
        "POST /api/v1/verify (credential JSON)",
        lambda t: Request(
            "/api/v1/verify",
            method="POST",
            headers={"Content-Type": "application/json"},
            body=t.credential_json,
        ),
    ),
    ("GET /issuers/{slug}/did.json", lambda t: Request(f"/issuers/{t.issuer_slug}/did.json")),
    ("GET /status/{list}", lambda t: Request(f"/status/{t.status_list_id}")),
    ("GET /credentials/{id}.json", lambda t: Request(f"/credentials/{t.credential_id}.json")),
    ("POST /api/v1/credentials (issue 1, SQLite)", _issue_request),
)


def http_cases() -> list[Case]:
    """Return the HTTP rows (section ``http``): the bare Flask baseline, then Baeji's."""
    return [
        Case(
            BARE_FLASK,
            _bare_flask_row,
            requires=("flask:Flask", "gunicorn:__version__"),
            section="http",
        ),
        *(
            Case(name, _demo_row(request_of), requires=_REQUIRES, section="http", versus=BARE_FLASK)
            for name, request_of in _ROWS
        ),
    ]
