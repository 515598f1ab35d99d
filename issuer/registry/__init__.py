"""The public issuer registry: every registered provider, for verifiers.

``service`` builds ``/registry.json`` (DCC issuer-registry format) and the platform-signed
``/registry.vc.json`` from the providers' rows; ``api`` is the public blueprint serving them.
"""
