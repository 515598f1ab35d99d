"""Verification by this service: in-process resolution, the API, and the pages that show reports.

``service`` runs :mod:`verify` with this service's own documents read in process, ``batch``
verifies many candidates at once, ``offline_qr`` signs the certificate's offline QR,
``report`` and ``details`` turn a report into what pages show, ``api``/``batch_api`` are the
JSON endpoints and ``views``/``batch_views`` the pages (``/verify``, a credential's page, an
issuer's page).
"""
