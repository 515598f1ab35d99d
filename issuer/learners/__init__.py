"""Learners: the wallet, the learning record (CLR) and sharing links.

``service`` finds learners and opens wallets, ``records`` builds signed learner records,
``sharing`` manages share links, ``views`` is the wallet's pages, ``cli`` prints wallet
links. The mail that brings a new badge's wallet link is :mod:`issuer.credentials.mail`.
"""
