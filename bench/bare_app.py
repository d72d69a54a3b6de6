"""The reference for the serving case: a bare Flask app returning fixed HTML bytes from memory.

Served by the same gunicorn settings as the real app, it shows what Flask and gunicorn alone
cost on this machine for the same response body (the framework's limit).
"""
import os
from pathlib import Path

from flask import Flask, Response


def create_app() -> Flask:
    body = Path(os.environ["BENCH_BARE_HTML"]).read_bytes()
    app = Flask(__name__)

    @app.get("/<path:_any>")
    @app.get("/")
    def page(_any=None):
        return Response(body, mimetype="text/html")

    return app
