"""Logging: one handler on the root logger, text or JSON (XUNCHA_LOG_FORMAT), every record stamped with the
id of the request it was logged in (a context variable set by app/core/telemetry.py, or "-" outside one)."""

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str] = ContextVar("xuncha_request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("levelname", "name", "message", "request_id")
# uvicorn's own loggers hand their records to ours; its access line is replaced by ours (app/core/telemetry.py):
# with no handler to reach, uvicorn does not even format it.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
UVICORN_ACCESS = "uvicorn.access"
# Clients whose INFO lines name whole URLs: a robot webhook's URL carries its key (企业微信 ?key=…).
QUIET = ("httpx", "httpcore")
# libvips tells every resize at INFO and every damaged tile of a broken upload at WARNING: noise, since such an
# upload then gets Pillow's verdict and its answer (422 corrupt_image) is logged as the request.
LIBRARIES_ONLY_ERRORS = ("pyvips",)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (on the handler: records of every logger pass through it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        # "time": ISO 8601 in UTC (2026-12-04T11:22:33.456789+00:00), whatever the server's zone.
        return JsonFormatter(list(JSON_FIELDS), rename_fields={"levelname": "level", "name": "logger"},
                             timestamp="time")
    return logging.Formatter(TEXT_FORMAT)


class _Handler(logging.StreamHandler):
    """Ours (configuring again replaces it), writing to whatever sys.stderr is at the time of each record."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(kind: str = "text", level: str = "INFO") -> None:
    """Send every logger's records to stderr in `kind` ("text" or "json") at `level` and above."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    handler = _Handler()
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger(UVICORN_ACCESS)
    access.handlers.clear()
    access.propagate = False
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in LIBRARIES_ONLY_ERRORS:
        logging.getLogger(name).setLevel(max(logging.ERROR, logging.getLevelName(level)))
