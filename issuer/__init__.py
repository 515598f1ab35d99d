"""The Baeji issuing service: HTTP API, public documents and pages, database and operator CLI.

Run it with ``baeji serve`` (development) or ``gunicorn 'issuer:create_app()'``.

Where a change goes (each feature package has the same small file set: ``service.py`` its
workflows, taking a :class:`issuer.db.Work` or a session; ``api.py`` its JSON blueprint;
``views.py`` its pages; ``cli.py`` its ``baeji`` commands):

- ``jobs/``: background jobs (``service``: ``handler``, ``enqueue``, reading jobs; ``runner``:
  running one, in process on SQLite; ``queue``: procrastinate and ``baeji worker`` on
  PostgreSQL), ``GET /api/v1/jobs/{id}`` (``api``).
- ``credentials/``: issuing one or a batch (``service``), revoking and suspending
  (``status_changes``), reading issued credentials (``reads``), the batch CSV
  (``upload``), the new-badge mail (``mail``), large batches as jobs (``batch_jobs``).
- ``achievements/``: the course catalog (``service``), badge images and logos (``artwork``),
  stored artwork at its public address (``views``).
- ``issuers/``: provider accounts and API keys (``service``), signing keys (``signing``),
  the platform's identity (``platform``), ``GET/PATCH /api/v1/issuer`` (``api``).
- ``status/``: status list allocation and publishing (``service``).
- ``learners/``: the wallet (``service``, ``views``), learner records (``records``), signed
  ahead by a job on every history change (``record_jobs``), share links (``sharing``),
  "send me my wallet link" (``recovery``, ``recovery_views``).
- ``outbox/``: e-mail written with what it is about and sent by a job (``service``), the
  SMTP connection (``transport``), ``baeji mail send|status`` (``cli``).
- ``certification/``: certifying providers ("Digital Leaders Club"): the platform's signed
  EndorsementCredential about a provider (``service``: ``certify``, ``revoke``,
  ``current``), its table (``models``), ``baeji issuer certify`` (``cli``).
- ``verification/``: in-process verification (``service``), many at once (``batch``), the
  offline QR (``offline_qr``), what pages show of a report (``report``, ``details``), the
  verify API and pages (``api``, ``batch_api``, ``views``, ``batch_views``), a provider's
  certification as pages show it, once verified (``certification``).
- ``published/``: the exact bytes of every public document (``service``) and the public,
  key-less routes that serve them (``api``); certifications at their ids
  (``certifications``).
- ``registry/``: the public issuer registry, ``/registry.json`` (DCC issuer-registry format)
  and the platform-signed ``/registry.vc.json`` (``service``, ``api``).
- ``webhooks/``: providers' endpoints and the event log (``service``, whose ``emit`` the
  credential workflows call), signing and sending through the SSRF guard (``sending``),
  ``/api/v1/webhooks`` (``api``), ``baeji webhooks deliver`` (``cli``).
- ``operator/``: the operator console at ``/operator/`` (``views``, ``provider_views``):
  registering, suspending and removing providers (``service``), applications from the
  public ``/join`` form (``applications``, ``join_views``), platform figures and the
  audit log (``figures``), every provider's jobs and the e-mail outbox (``queues``,
  ``job_views``).

Shared by all features, at the top: ``app`` (``create_app``), ``config`` (settings from
``BAEJI_*``), ``db`` (engine, the unit of work, migrations), ``prepared`` (hot-path reads),
``models`` (all tables), ``schemas`` (API wire shapes), ``errors`` (domain errors to JSON or
pages), ``operations`` (request plumbing: each request's unit of work, ``request_work``;
callers, request parsing, documented operations),
``openapi`` (the document built from every operation), ``pages`` (rendering, language
choice, security headers), ``i18n``, ``body``, ``limits``, ``caches``, ``logs``, ``audit``,
``demo``, ``cli`` (the ``baeji`` command list), ``commands`` (what every command shares);
``templates/`` and ``static/``; ``migrations/`` (Alembic, linear).

A unit of work is made once at each edge (``operations.request_work`` for a request,
``commands.work`` for a command, ``db.unit_of_work`` for a job) and passed down; no function
takes the session beside loose settings, time or actor. Which package may import which, and
that rule, are checked by ``tests/issuer/test_layering.py``.
"""

from __future__ import annotations

from issuer.app import create_app, settings_of

__all__ = ["create_app", "settings_of"]
