"""Structured logs: JSON lines in production, readable lines in a terminal.

Request and tenant ids are bound into the context by the HTTP layer; nothing here ever
logs a document, a token or a key.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(*, json: bool | None = None, level: str = "INFO") -> None:
    if json is None:
        json = not sys.stderr.isatty()
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # httpx logs every request at INFO, with its full URL: a webhook receiver's URL may hold
    # a credential, and what a delivery came to is recorded with the delivery.
    logging.getLogger("httpx").setLevel(logging.WARNING)
