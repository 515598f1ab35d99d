"""Achievements: a provider's course catalog, its badge artwork and the artwork's addresses.

``service`` creates, updates and archives achievements (and their links), ``artwork`` checks
and stores images and logos, ``api`` is the ``/api/v1/achievements`` blueprint, ``views``
serves stored artwork.
"""
