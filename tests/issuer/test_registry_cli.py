"""End to end: ``baeji verify --registry`` against the running service, then offline.

The service runs on a real HTTP server on 127.0.0.1 with that address as its public
origin, so its DIDs (``did:web:127.0.0.1%3APORT…``) resolve there with ``--allow-local``.
A badge it issued is verified with the service's signed registry: online (the registry,
the platform's DID document and the provider's documents fetched over HTTP, and saved with
``--save-trust``), then with the server stopped, from the trust file alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from issuer import db
from tests.issuer.conftest import Api, Tenant, create_tenant, make_app
from tests.serving import serve_in_thread
from verify import TrustStore
from verify.cli import main

_Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Live:
    """The service, its address, a provider, and the server (stopped by the test)."""

    app: Flask
    base: str
    tenant: Tenant
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        """Stop answering (what an employer offline sees)."""
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The service on this module's database, serving at its own public origin."""
    holder: dict[str, _Wsgi] = {}

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app = make_app(database_url, tmp_path_factory.mktemp("instance"), BASE_URL=base)
    holder["app"] = app.wsgi_app
    tenant = create_tenant(app, "hanbit", "한빛 아카데미")
    found = Live(app, base, tenant, server, serve_in_thread(server))
    try:
        yield found
    finally:
        found.stop()
        server.server_close()
        db.engine_of(app).dispose()


def test_verify_with_the_services_registry_online_then_offline(live: Live, tmp_path: Path) -> None:
    """The provider is "known to registry" from the signed registry online, and from the
    trust file once the service is gone; the saved file holds the registry (format v2)."""
    client = live.app.test_client()
    api = Api(client, live.tenant)
    issued = api.issue(api.achievement()["id"], "registry.cli@example.kr")
    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(issued["credential"], ensure_ascii=False), encoding="utf-8")
    trust = tmp_path / "trust.json"
    signed = f"{live.base}/registry.vc.json"
    runner = CliRunner()

    online = runner.invoke(
        main,
        [
            "verify",
            str(badge),
            "--allow-local",
            "--registry",
            signed,
            "--save-trust",
            str(trust),
            "--lang",
            "ko",
        ],
    )
    assert online.exit_code == 0, online.output
    platform = "did:web:127.0.0.1%3A" + live.base.rsplit(":", 1)[1]
    assert f"등록부 Baeji 배지 issuer registry ({platform})에 “한빛 아카데미”(으)로" in (
        online.stdout
    )
    store = TrustStore.load(trust)
    assert [r.url for r in store.registries] == [signed]

    live.stop()
    offline = runner.invoke(
        main, ["verify", str(badge), "--offline", "--trust", str(trust), "--json"]
    )
    assert offline.exit_code == 0, offline.output
    report = json.loads(offline.stdout)
    assert report["verdict"] == "valid"
    check = report["checks"][-1]
    assert (check["id"], check["code"]) == ("registry", "issuer-in-registry")
    assert check["details"]["name"] == "한빛 아카데미"
    dcc = runner.invoke(
        main,
        ["verify", str(badge), "--allow-local", "--registry", f"{live.base}/registry.json"],
    )
    # The server is gone: the DCC registry cannot be fetched, and the badge's own
    # documents neither (the verdict says so, whatever the registry).
    assert dcc.exit_code == 3
    assert "could not be checked" in dcc.stderr
