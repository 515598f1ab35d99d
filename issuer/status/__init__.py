"""Status lists: allocating a credential's index and publishing signed bitstring lists.

``service`` allocates indexes, flips bits and re-signs lists; lists are served by
:mod:`issuer.published`.
"""
