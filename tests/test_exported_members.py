"""Each package's public API is exactly its sorted __all__."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["keys", "badges", "verify"])
def test_all_is_sorted_and_complete(package: str) -> None:
    """__all__ is sorted, names only existing attributes, and covers every public re-export."""
    module = importlib.import_module(package)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    for name in exported:
        assert hasattr(module, name), name
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith(package + ".")
    }
    assert public <= set(exported)
