"""Gunicorn settings for Baeji: ``gunicorn -c gunicorn.conf.py 'issuer:create_app()'``.

Sync workers: issuing and verifying are CPU-bound (signing, canonicalization), so one
request per worker process. A sync worker is killed when one request outlasts ``timeout``;
a batch is given ``BAEJI_BATCH_TIME_BUDGET`` seconds (default 60) and then ends in a
503 ``batch-too-slow`` JSON answer with nothing issued, so the timeout is set to twice that
budget: the worker answers before it can be killed. Every value can be overridden on the
command line or in ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import os

# The batch budget, read as the app reads it (BAEJI_ environment, default in issuer.config).
_batch_budget = float(os.environ.get("BAEJI_BATCH_TIME_BUDGET") or 60)

# WEB_CONCURRENCY is the conventional knob (Heroku, gunicorn's own default); two workers
# per core suits CPU-bound work with some time spent in the database.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
worker_class = "sync"

# Seconds one request may run before its worker is killed and replaced.
timeout = max(30, int(_batch_budget * 2))
# After SIGTERM (deploys, restarts), a running batch gets as long to finish as it would
# have had anyway.
graceful_timeout = timeout
# Behind a reverse proxy that reuses connections; short, so idle ones do not pin workers.
keepalive = 5

# Restart each worker after this many requests (jittered so they do not all restart at
# once): bounds the memory a long-running worker can accumulate. A restart costs about
# 0.8 s of CPU (imports, app setup, first-use caches) while a stored document costs well
# under 1 ms, so restarting every thousand requests cost more than the requests did; the
# worker's caches are bounded in entries, so a much longer life holds no more memory.
max_requests = 50_000
max_requests_jitter = 5_000

# The heartbeat file is touched constantly; on tmpfs it never waits on a disk. Gunicorn
# creates it with mkstemp (a private file with an unguessable name), so a shared tmpfs is safe.
_SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM

# Requests: the request line and headers are bounded by gunicorn's defaults (4094 bytes,
# 100 fields); bodies are bounded by the app (MAX_CONTENT_LENGTH, chunked bodies included).

# Access log on standard output. The URL is logged without its query string (%(U)s).
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss "%(a)s"'
# Wallet tokens and share ids are replaced by "[redacted]" in every access and error log field.
logger_class = "issuer.logs.RedactingLogger"
errorlog = "-"


def post_worker_init(worker: object) -> None:
    """Exempt what the worker loaded (modules, the app, its contexts) from the cyclic GC.

    A full collection walks every tracked object: about 70 ms in a worker that loaded the
    app (some 170,000 objects), a pause every request waiting behind it feels. Objects
    alive after start-up live as long as the worker; ``gc.freeze`` moves them out of the
    collector's generations, so collections walk only what requests made.
    """
    import gc

    gc.freeze()
