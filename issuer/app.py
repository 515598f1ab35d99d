"""The application factory: settings, the database, error pages, blueprints in one list.

``gunicorn 'issuer:create_app()'`` and ``baeji serve`` both call :func:`create_app`.
Blueprints are imported inside the factory: feature modules read ``issuer.settings_of``,
so importing them while ``issuer`` itself is still being imported would be circular.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from issuer.config import DEFAULTS, Settings, default_database_url, default_instance_path

__all__ = ["create_app", "settings_of"]


class _Baeji(Flask):
    """Flask, remembering which hooks and views are plain functions.

    Flask asks :func:`inspect.iscoroutinefunction` about every hook and view of every
    request (eight of them per request here), about a twentieth of what a stored document
    costs; a function's answer never changes, so it is kept, weakly (a function made for
    one request is forgotten with it).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: weakref.WeakKeyDictionary[Callable[..., Any], bool] = (
            weakref.WeakKeyDictionary()
        )

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``func`` as Flask would: as-is when it is a plain function."""
        try:
            if self._plain.get(func):
                return func
        except TypeError:  # not weakly referenceable: ask Flask every time
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func:
            self._plain[func] = True
        return synced


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask application.

    Args:
        test_config: configuration used instead of the ``BAEJI_*`` environment (tests);
            keys as in the environment without the prefix (``DATABASE_URL``, ``BASE_URL``,
            ``MASTER_KEY``, ``INSTANCE_PATH``...).
    """
    instance_path = Path(
        (test_config or {}).get("INSTANCE_PATH") or default_instance_path()
    ).resolve()
    app = _Baeji("issuer", instance_path=str(instance_path))
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("BAEJI")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = default_database_url(instance_path)
    os.makedirs(instance_path, exist_ok=True)

    from issuer import body, db, errors, limits, logs
    from issuer import openapi as docs
    from issuer import pages as web
    from issuer.achievements import api as achievements
    from issuer.achievements import views as artwork
    from issuer.console import views as console
    from issuer.credentials import api as credentials
    from issuer.issuers import api as profile
    from issuer.jobs import api as jobs
    from issuer.jobs import runner as job_runner
    from issuer.learners import recovery_views as wallet_link
    from issuer.learners import views as wallet
    from issuer.operations import CONVERTERS
    from issuer.operator import views as operator
    from issuer.published import api as public
    from issuer.published import direct as direct_documents
    from issuer.registry import api as registry
    from issuer.verification import api as verification
    from issuer.verification import batch_api as verify_batch
    from issuer.verification import batch_views as verify_batch_page
    from issuer.verification import views as pages
    from issuer.webhooks import api as webhooks

    settings = Settings.from_config(app.config, instance_path)
    app.extensions.setdefault("issuer", {})["settings"] = settings
    db.init_app(app, db.make_engine(app.config["DATABASE_URL"]))
    errors.init_app(app, page=web.error_page)
    body.init_app(app)
    web.init_app(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.url_map.converters.update(CONVERTERS)

    blueprints = (
        achievements.bp,
        credentials.bp,
        verification.bp,
        docs.bp,
        public.bp,
        pages.bp,
        wallet.bp,
        profile.bp,
        artwork.bp,
        verify_batch.bp,
        verify_batch_page.bp,
        registry.bp,
        wallet_link.bp,
        jobs.bp,
        webhooks.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    limits.init_app(app, {bp.name: bp for bp in blueprints}, page=web.error_page)
    console.init_app(app)
    job_runner.init_app(app)
    operator.init_app(app)
    # Outermost: the status lists and DID documents verifiers fetch, answered before Flask.
    direct_documents.init_app(app)
    # Wallet tokens and share ids never reach a log (the dev server's, gunicorn's, ours).
    logs.install()
    return app


def settings_of(app: Flask) -> Settings:
    """Return the :class:`Settings` of an application made by :func:`create_app`."""
    settings: Settings = app.extensions["issuer"]["settings"]
    return settings
