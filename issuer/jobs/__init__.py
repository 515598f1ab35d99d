"""Background jobs: a ``job`` table we own, run by procrastinate on PostgreSQL or in process.

Why procrastinate (3.x): it needs nothing but the PostgreSQL we already run (no Redis to
operate, back up and secure); workers take jobs with ``SELECT ... FOR UPDATE SKIP
LOCKED``, so any number of ``baeji worker`` processes on any number of hosts are safe; it
has retries with a pluggable strategy, per-job locks, worker heartbeats and a way to find
the jobs of a dead worker; and because the queue lives in our database, a job is put on it
in the same transaction as the work that asks for it (no lost or phantom jobs, no relay).
RQ, dramatiq or huey on Redis would need a second service and a two-phase hand-off.

- ``service``: ``handler``, ``enqueue``, ``JobRun``, reading jobs, the in-process runner
  (SQLite, where ``make run`` must need nothing else), running one job.
- ``queue``: procrastinate's app, task and worker loop (``baeji worker``), stalled-job
  recovery.
- ``models``: the ``job`` table (migration 0009, which also creates procrastinate's schema
  on PostgreSQL).
- ``api``: ``GET /api/v1/jobs`` and ``/api/v1/jobs/{id}``; ``cli``: ``baeji worker``.
"""
