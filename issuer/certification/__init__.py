"""Certification ("Digital Leaders Club") as a verifiable credential.

Certifying a provider issues an OB 3.0 ``EndorsementCredential`` signed by the platform's
own identity (``did:web`` of the public origin) about the provider's profile, with its own
revocation status entry on one of the platform's status lists and a validity period.

``models`` holds the table, ``service`` the workflows (``certify``, ``revoke``,
``current``), ``cli`` the ``baeji issuer certify`` command. The signed document is
published at its ``id`` by :mod:`issuer.published`; pages show a certification only after
the ``verify`` package verified it (:mod:`issuer.verification.certification`).
"""
