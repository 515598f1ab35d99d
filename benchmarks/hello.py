"""The HTTP section's baseline: a bare Flask app, served by gunicorn exactly like Baeji.

``gunicorn benchmarks.hello:app``; ``GET /`` answers a short text. Whatever a Baeji
endpoint costs beyond this is Baeji's own work.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Answer with a constant text."""
    return "Hello, World!"
