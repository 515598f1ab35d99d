"""The operator console at ``/operator/``: the platform's own staff register, suspend and
remove providers, decide on applications from the public ``/join`` form, and read the
platform's figures and audit log.
"""
