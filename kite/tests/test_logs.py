"""A share link's token never reaches a log: not Django's request log, not gunicorn's access log."""

import io
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from kite.logs import RedactingLogger, RedactSecrets, redact

TOKEN = "q8ZJ3kC0v1mYt2x9-AbCdEfGhIjKlMnOpQrStUvWxYz"


def test_redaction_keeps_the_path_and_drops_the_token():
    assert redact(f"GET /s/{TOKEN}/download/ HTTP/1.1") == "GET /s/[token]/download/ HTTP/1.1"
    assert redact(f"https://kite.example/s/{TOKEN}/") == "https://kite.example/s/[token]/"
    assert redact("/documents/s/") == "/documents/s/"  # nothing after it: nothing to hide


def test_djangos_request_log_names_no_token(client, db):
    """A request for an unknown link is logged as Django logs every 404, through the console handler Kite
    configures, with the token replaced."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters))
    stream, handler.stream = handler.stream, io.StringIO()
    try:
        assert client.get(f"/s/{TOKEN}/").status_code == 404
        written = handler.stream.getvalue()
    finally:
        handler.stream = stream
    assert "Not Found: /s/[token]/" in written and TOKEN not in written


def test_gunicorns_access_log_names_no_token():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/s/{TOKEN}/download/",
        "PATH_INFO": f"/s/{TOKEN}/download/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://kite.example/s/{TOKEN}/",
    }
    response = SimpleNamespace(status="302 Found", headers=[("Location", "https://storage.example/x")], sent=0)
    atoms = logger.atoms(response, SimpleNamespace(headers=[("REFERER", f"/s/{TOKEN}/")]), environ, _elapsed())
    assert TOKEN not in repr(atoms)
    assert atoms["r"] == "GET /s/[token]/download/ HTTP/1.1" and atoms["U"] == "/s/[token]/download/"


def _elapsed():
    from datetime import timedelta

    return timedelta(milliseconds=12)
