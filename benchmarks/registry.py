"""What a row of the table is: :class:`Case`, the sections it belongs to, and skipping.

A case's ``setup`` prepares its inputs once and returns either the operation to time (the
suite calls it many times, see :mod:`benchmarks.timing`) or a :class:`~benchmarks.timing.Load`
it measured itself (an HTTP load run against a server, see :mod:`benchmarks.http`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from benchmarks.timing import Load, Operation

SECTIONS = ("crypto", "service", "http", "scale")
"""The table's sections, in order: signing and verifying in process; issuing through the
service in process (Flask's test client); HTTP load against gunicorn; pages over a large
PostgreSQL database."""


class Unavailable(Exception):
    """A case cannot run here (a missing package or service); its row is skipped."""


@dataclass(frozen=True)
class Case:
    """One row of the table.

    Attributes:
        name: the row label, unique; baselines refer to rows by it.
        setup: prepares the inputs and returns the operation to time, or a measured load.
        baseline: rows whose median times, summed, divide this row's median to give its
            ratio (the raw primitives the operation is built on); empty for no ratio.
        requires: ``"module:attribute"`` names the case needs; the row is skipped when one
            is missing. For optional extras (the ``issuer`` web stack): such a case imports
            them inside its setup, so the other rows still run without them.
        section: one of :data:`SECTIONS`.
        versus: a row doing the same work another way (pyld; a bare Flask app); the row
            reports its throughput divided by that row's, measured in the same run.
    """

    name: str
    setup: Callable[[ExitStack], Operation | Load]
    baseline: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    section: str = "crypto"
    versus: str | None = None


def missing_requirement(case: Case) -> str | None:
    """Return the first ``module:attribute`` of ``case.requires`` that cannot be imported."""
    for requirement in case.requires:
        module_name, _, attribute = requirement.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return requirement
        if attribute and not hasattr(module, attribute):
            return requirement
    return None
