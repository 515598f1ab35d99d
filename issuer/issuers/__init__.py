"""Issuers: provider accounts, API keys, signing keys and the platform's own identity.

``service`` creates issuers and API keys and authenticates callers, ``signing`` keeps each
issuer's key ring (rotation, compromise, unsealing), ``platform`` is the identity that signs
learner records, ``api`` is the ``/api/v1/issuer`` profile blueprint.
"""
