"""Package boundaries: the pure packages load no web stack and open no sockets on import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("flask", "sqlmodel", "sqlalchemy", "alembic", "issuer", "werkzeug")
# What each package may import from our own code (keys <- badges <- verify <- issuer).
ALLOWED_OURS = {"keys": set(), "badges": {"keys"}, "verify": {"keys", "badges"}}
OURS = {"keys", "badges", "verify", "issuer"}


@pytest.mark.parametrize("package", ["keys", "badges", "verify"])
def test_importing_loads_no_web_stack(package: str) -> None:
    """Importing the package in a fresh interpreter leaves Flask, SQLModel and issuer unloaded."""
    code = (
        f"import sys, {package}\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED_OURS))
def test_dependency_direction(package: str) -> None:
    """keys imports none of ours, badges only keys, verify only badges and keys."""
    for path in sorted((ROOT / package).rglob("*.py")):
        ours = (_imports(path) & OURS) - {package}
        assert ours <= ALLOWED_OURS[package], f"{path.relative_to(ROOT)} imports {sorted(ours)}"
        assert not (_imports(path) & set(FORBIDDEN) - OURS), (
            f"{path.relative_to(ROOT)} imports the web stack"
        )


@pytest.mark.parametrize("package", ["keys", "badges"])
def test_pure_packages_read_no_clock_and_open_no_socket(package: str) -> None:
    """badges and keys never read the clock and never import socket or HTTP clients."""
    for path in sorted((ROOT / package).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "utcnow(", "time.time(", "date.today("):
            assert needle not in text, f"{path.relative_to(ROOT)} reads the clock ({needle})"
        assert not (_imports(path) & {"socket", "httpx", "requests", "urllib3", "http"}), path
