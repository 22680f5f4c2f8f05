"""Logs that never hold a secret a URL carries: a share link's token is the whole of its secret, and it travels
in the path (/s/<token>/). gunicorn's access log and Django's request log write paths; both go through here."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

# The token of a share link, wherever a path, request line or referrer shows one.
SHARE_TOKEN = re.compile(r"(/s/)[^/?#\s\"']+")
REDACTED = r"\1[token]"


def redact(text: str) -> str:
    return SHARE_TOKEN.sub(REDACTED, text)


def _redacted(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """For Django's loggers ("Not Found: /s/…/"): the message and its arguments, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redacted(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_redacted(value) for value in record.args)
        return True


class RedactingLogger(Logger):
    """gunicorn's logger (`--logger-class kite.logs.RedactingLogger`) with every access-log atom redacted."""

    def atoms(self, resp, req, environ, request_time):
        return {key: _redacted(value) for key, value in super().atoms(resp, req, environ, request_time).items()}
