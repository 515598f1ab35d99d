"""Published documents: what verifiers and people fetch without an API key.

``service`` reads the exact stored bytes and ETags (credentials in every form, DID
documents, JWKS, status lists); ``api`` is the public blueprint that serves them.
"""
