"""The benchmark suite runs end to end and reports every row; timings are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks.cases import CASES, Case, Unavailable, missing_requirement
from benchmarks.load import LoadSpec, generate
from benchmarks.registry import SECTIONS
from benchmarks.report import format_table, to_json
from benchmarks.seed import database_url
from benchmarks.suite import fallback_count, run, select
from benchmarks.timing import QUICK, Operation, measure_pair
from tests.serving import serving

REPO_ROOT = Path(__file__).resolve().parents[1]

_CALL_KEYS = ("median_us", "mean_us", "min_us", "max_us", "cpu_median_us", "ops_per_second")
_LOAD_KEYS = ("ops_per_second", "p50_us", "p99_us", "mean_us", "max_us", "server_cpu_us")


@pytest.mark.bench
def test_quick_run_writes_every_row_with_positive_numbers(tmp_path: Path) -> None:
    """`python -m benchmarks --quick --json` measures every registered row."""
    output = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(output)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["quick"] is True
    assert report["statistic"] == "median"
    rows = {row["name"]: row for row in report["results"]}
    assert list(rows) == [case.name for case in CASES]
    for case in CASES:
        row = rows[case.name]
        assert f"| {row['name']}" in completed.stdout
        assert row["section"] == case.section
        if (missing := missing_requirement(case)) is not None:
            # Only a package that is genuinely absent may skip a row.
            assert row["skipped"] == f"needs {missing}"
            continue
        if case.section == "scale" and database_url() is None:
            assert row["skipped"].startswith("no PostgreSQL"), row["skipped"]
            continue
        assert row["skipped"] is None, row["skipped"]
        if case.section in ("http", "scale"):
            assert row["requests"] > 0
            assert row["connections"] > 0
            for key in _LOAD_KEYS:
                assert row[key] > 0, key
            assert len(row["worker_rss_bytes"]) == 2
            assert all(size > 0 for size in row["worker_rss_bytes"])
        else:
            assert row["iterations"] > 0
            for key in _CALL_KEYS:
                assert row[key] > 0, key
        for key, compared in (("ratio", case.baseline), ("speedup", case.versus)):
            if compared:
                assert row[key] > 0, key
                assert row[f"cpu_{key}"] > 0, key
            else:
                assert row[key] is None, key
                assert row[f"cpu_{key}"] is None, key


def _noop(stack: ExitStack) -> Operation:
    return lambda: None


def _unavailable(stack: ExitStack) -> Operation:
    raise Unavailable("no PostgreSQL server configured")


def test_ratio_is_taken_against_the_baseline_rows() -> None:
    """A row with baselines gets a ratio; a row without gets none."""
    rows = run([Case("raw", _noop), Case("built", _noop, baseline=("raw",))], QUICK)
    assert rows[0].ratio is None
    assert rows[1].ratio is not None
    assert rows[1].ratio > 0
    assert rows[1].cpu_ratio is not None
    assert rows[1].cpu_ratio > 0


def test_speedup_is_taken_against_the_versus_row() -> None:
    """A row compared with another way of doing its work gets the throughput ratio."""
    rows = run([Case("pyld", _noop), Case("ours", _noop, versus="pyld")], QUICK)
    assert rows[0].speedup is None
    assert rows[1].speedup is not None
    pyld, ours = rows[0].ops_per_second, rows[1].ops_per_second
    assert pyld is not None
    assert ours is not None
    assert rows[1].speedup == pytest.approx(ours / pyld)
    pyld_timing, our_timing = rows[0].timing, rows[1].timing
    assert pyld_timing is not None
    assert our_timing is not None
    assert rows[1].cpu_speedup == pytest.approx(
        pyld_timing.cpu_median_ns / our_timing.cpu_median_ns
    )


def _costly(stack: ExitStack) -> Operation:
    return lambda: sum(range(20_000))


def test_rows_compared_with_an_earlier_row_are_timed_with_it() -> None:
    """Ours and pyld's are timed call for call: both rows report that paired timing."""
    rows = run([Case("pyld", _costly), Case("ours", _noop, versus="pyld")], QUICK)
    pyld, ours = rows[0].timing, rows[1].timing
    assert pyld is not None
    assert ours is not None
    # Alone, the cheap operation would be called far more often than the costly one.
    assert pyld.iterations == ours.iterations


def test_measure_pair_alternates_the_two_operations() -> None:
    """measure_pair calls first, second, first, second... and times each call."""
    calls: list[str] = []
    first, second = measure_pair(lambda: calls.append("a"), lambda: calls.append("b"), QUICK)
    assert calls == ["a", "b"] * (len(calls) // 2)
    assert first.iterations == second.iterations
    assert len(calls) > 2 * first.iterations  # the warm-up alternates too


def test_every_row_reports_cpu_time() -> None:
    """Each timed row carries the CPU time of its calls beside the wall time."""
    (row,) = run([Case("sum", lambda stack: lambda: sum(range(1000)))], QUICK)
    assert row.timing is not None
    assert row.timing.cpu_median_ns > 0
    assert row.timing.cpu_mean_ns > 0


def test_fallbacks_are_reported_when_the_canonicalizer_counts_them() -> None:
    """The fallback column is a count when badges.canonical keeps one, "n/a" otherwise."""
    from badges import canonical

    counts = callable(getattr(canonical, "fallback_count", None))
    (row,) = run([Case("noop", _noop)], QUICK)
    assert (row.fallbacks is not None) == counts
    assert (fallback_count() is not None) == counts
    table = format_table([row], quick=True)
    assert ("n/a" in table) != counts


def test_unavailable_setup_skips_the_row_and_its_ratios() -> None:
    """A setup raising Unavailable gives a skipped row, and rows based on it get no ratio."""
    rows = run(
        [
            Case("db", _unavailable),
            Case("issue", _noop, baseline=("db",)),
            Case("page", _noop, versus="db"),
        ],
        QUICK,
    )
    assert rows[0].skipped == "no PostgreSQL server configured"
    assert rows[0].timing is None
    assert rows[1].timing is not None
    assert rows[1].ratio is None
    assert rows[2].speedup is None
    table = format_table(rows, quick=True)
    assert "skipped: no PostgreSQL server configured" in table
    assert to_json(rows, quick=True)["results"][0]["skipped"] == "no PostgreSQL server configured"


def test_missing_package_skips_the_row() -> None:
    """A case needing an absent module is skipped with the requirement named."""
    case = Case("absent", _noop, requires=("baeji_no_such_module:thing",))
    (row,) = run([case], QUICK)
    assert row.skipped == "needs baeji_no_such_module:thing"


def test_unknown_baseline_is_refused() -> None:
    """A baseline naming no registered row is a registry mistake, reported before timing."""
    with pytest.raises(ValueError, match="unknown baselines"):
        run([Case("built", _noop, baseline=("raw",))], QUICK)
    with pytest.raises(ValueError, match="unknown baselines"):
        run([Case("ours", _noop, versus="pyld")], QUICK)


def test_select_keeps_the_baselines_of_matched_rows() -> None:
    """Filtering with -k keeps the raw primitives the matched rows are compared with."""
    chosen = [case.name for case in select(CASES, "encode_jwt")]
    assert len(chosen) == 2
    assert chosen[0].startswith("RSA-2048 sign")
    assert "encode_jwt" in chosen[1]


def test_select_keeps_the_pyld_baseline_of_our_rows() -> None:
    """Our canonicalization and proof rows always run beside pyld doing the same work."""
    chosen = [case.name for case in select(CASES, "create_proof")]
    assert chosen[0].startswith("Ed25519 sign")
    assert chosen[1].startswith("pyld DI proof")
    assert chosen[2].startswith("DI proof (create_proof")


def test_every_section_has_rows_and_select_filters_by_section() -> None:
    """--section runs one part of the table, plus the rows it is compared with."""
    for section in SECTIONS:
        chosen = select(CASES, None, [section])
        assert any(case.section == section for case in chosen)
        references = {name for case in chosen for name in (*case.baseline, case.versus)}
        assert all(case.section == section or case.name in references for case in chosen)
    assert {case.section for case in select(CASES, None, ["http"])} == {"http"}
    http = select(CASES, "verify", ["http"])
    assert http[0].name.startswith("Bare Flask")
    assert all(case.versus == http[0].name for case in http[1:])


def test_the_table_is_markdown() -> None:
    """Each row is a markdown table line, under a header and an alignment line."""
    rows = run([Case("raw", _noop), Case("built", _noop, baseline=("raw",))], QUICK)
    lines = format_table(rows, quick=True).splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 4
    assert set(table[1]) <= set("|-:")
    assert all(line.endswith("|") for line in table)
    assert table[3].startswith("| built ")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"ok" if self.path == "/" else b"missing"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[int]:
    """A small HTTP/1.1 server on a free port of 127.0.0.1, for the load generator."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    with serving(server):
        yield server.server_address[1]


def test_load_generator_stops_at_its_request_bound(local_server: int) -> None:
    """The generator sends exactly ``requests`` requests, over several connections."""
    result = generate(LoadSpec(port=local_server, path="/", connections=3, requests=25, seconds=60))
    assert result.requests == 25
    assert result.errors == 0
    assert 0 < result.p50_ns <= result.p99_ns <= result.max_ns


def test_load_generator_counts_unexpected_answers_as_errors(local_server: int) -> None:
    """An answer with another status than expected is an error, quoted once."""
    result = generate(LoadSpec(port=local_server, path="/nowhere", requests=4, seconds=60))
    assert result.requests == 0
    assert result.errors == 4
    assert result.first_error is not None
    assert result.first_error.startswith("HTTP 404")


def test_load_generator_stops_at_its_time_bound(local_server: int) -> None:
    """With a zero time budget no request is sent, whatever the request bound."""
    result = generate(
        LoadSpec(port=local_server, path="/", connections=2, requests=10**9, seconds=0)
    )
    assert result.requests == 0
    assert result.errors == 0


def test_load_generator_refuses_other_hosts() -> None:
    """The generator loads only loopback addresses."""
    with pytest.raises(ValueError, match="loopback"):
        generate(LoadSpec(port=80, path="/", host="192.0.2.1"))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(database_url() is None, reason="needs BAEJI_TEST_DATABASE_URL")
def test_seeding_copies_signed_credentials_with_their_own_ids() -> None:
    """The scale seeding adds the asked number of rows, each with its own id and index."""
    from sqlalchemy import create_engine, text

    from benchmarks.http import app_config, baeji_environment, seed_demo
    from benchmarks.seed import PER_LEARNER, copy_credentials, postgres_schema

    url = database_url()
    assert url is not None
    with ExitStack() as stack:
        scoped = postgres_schema(url, stack)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        seed_demo(app_config(baeji_environment(folder, 5000, scoped)))
        engine = create_engine(scoped)
        stack.callback(engine.dispose)
        with engine.connect() as connection:
            before = connection.execute(text("SELECT count(*) FROM credential")).scalar_one()
        assert copy_credentials(scoped, 1_000) == 1_000
        with engine.connect() as connection:
            after = connection.execute(text("SELECT count(*) FROM credential")).scalar_one()
            own_ids = connection.execute(
                text(
                    "SELECT count(*) FROM credential "
                    "WHERE strpos(document, '/credentials/' || id || '\"') > 0"
                )
            ).scalar_one()
            learners = connection.execute(
                text("SELECT count(DISTINCT learner_id) FROM credential")
            ).scalar_one()
        assert after == before + 1_000
        assert own_ids == after
        assert learners >= 1_000 // PER_LEARNER
