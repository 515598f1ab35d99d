"""Benchmarks of Baeji: signing, issuing, verifying, serving, and pages over a large database.

Run ``python -m benchmarks`` (``--quick`` for a smoke test, ``--json PATH`` to keep the
numbers, ``--section crypto|service|http|scale`` for one part, ``-k TEXT`` for some rows).
Rows are registered in :mod:`benchmarks.cases`. In-process rows report wall and CPU time
per operation and their ratio to the raw primitive they are built on; Baeji's
canonicalization and Data Integrity proof run beside pyld doing the same work; HTTP rows
load gunicorn beside a bare Flask app (:mod:`benchmarks.http`); scale rows time pages over
100,000 credentials in PostgreSQL (:mod:`benchmarks.scale`). Every comparison is between
rows of the same run, so a busy machine slows both sides.
"""

from __future__ import annotations
