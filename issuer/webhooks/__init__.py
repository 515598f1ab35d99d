"""Webhooks for LMS integration: providers register endpoints; credential events reach them.

- ``models``: the endpoint and delivery tables.
- ``service``: registering, listing and removing endpoints, :func:`~.service.emit` (called
  by the credential workflows inside their write transaction), the delivery log, replay.
- ``sending``: the signature (``Baeji-Signature``), the SSRF guard shared with the
  verifier, :func:`~.sending.deliver_one` and :func:`~.sending.deliver_due`.
- ``schemas``: the API's wire shapes; ``api``: ``/api/v1/webhooks``.

The console's pages are in :mod:`issuer.console.webhook_views`.
"""
