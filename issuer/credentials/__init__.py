"""Credentials: issuing one or a batch, revoking and suspending, reading what was issued.

``service`` issues (validate, sign, store), ``upload`` reads the batch CSV, ``api`` is the
``/api/v1/credentials`` blueprint. Tables are in :mod:`issuer.models`.
"""
