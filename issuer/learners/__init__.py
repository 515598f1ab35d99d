"""Learners: the wallet, the learning record (CLR), sharing links and wallet-link mail.

``service`` finds learners and opens wallets, ``records`` builds signed learner records,
``sharing`` manages share links, ``mail`` sends wallet links, ``views`` is the wallet's pages.
"""
