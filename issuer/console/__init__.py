"""The provider console at ``/console/``: staff accounts, courses, cohort issuing, badges.

``models`` holds the tables, ``service`` the account logic (no request globals), ``views``
the pages, ``cohort`` the spreadsheet preview, ``cli`` the ``baeji user`` commands.
"""
