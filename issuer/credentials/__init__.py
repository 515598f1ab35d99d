"""Credentials: issuing one or a batch, revoking and suspending, reading what was issued.

``service`` issues (validate, sign, store), ``status_changes`` revokes and suspends,
``reads`` reads what was issued, ``upload`` reads the batch CSV, ``mail`` tells learners
about new badges (with their wallet link), ``api`` is the ``/api/v1/credentials``
blueprint and ``cli`` the ``baeji issue`` and ``baeji revoke`` commands. The tables are in
:mod:`issuer.models`.
"""
