"""Micro-benchmarks of Baeji's signing, issuing and verifying steps.

Run ``python -m benchmarks`` (``--quick`` for a smoke test, ``--json PATH`` to keep the
numbers). Rows are registered in :mod:`benchmarks.cases`; each reports microseconds per
operation, operations per second and the ratio to the raw primitive it is built on.
"""

from __future__ import annotations
