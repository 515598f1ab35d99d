"""E-mail that never blocks a request: the outbox.

A workflow that wants to e-mail someone writes an outbox row (:func:`service.queue`) in the
same transaction as what the e-mail is about (a badge, a new wallet link, a staff invitation),
so the mail exists exactly when that does. Sending happens later, outside the request:
:func:`service.send_one` and :func:`service.send_due` talk SMTP (``transport``), with retries
and backoff, run by the ``outbox.send`` job that each queueing enqueues; ``cli`` has
``baeji mail send|status`` (to send what waits by hand, or to see it).

The recipient's address and the body (which may carry a wallet link, a bearer secret) are
kept only sealed under the master key, and wiped once the mail is sent or given up.
"""
