"""Structured logs: JSON lines in production, readable lines in a terminal.

Request and tenant ids are bound into the context by the HTTP layer; nothing here ever
logs a document, a token or a key.

The libraries' own logs (the standard library's `logging`: pyHanko, fontTools, SQLAlchemy,
uvicorn...) come out the same way, one format per stream, and below WARNING only when
debugging: fontTools alone logs each glyph list it subsets, at INFO, on every signature.
"""

from __future__ import annotations

import logging
import sys

import structlog

# Every record, ours and the libraries', is stamped the same way.
_TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)


def configure_logging(*, json: bool | None = None, level: str = "INFO") -> None:
    if json is None:
        json = not sys.stderr.isatty()
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    threshold = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _TIMESTAMP,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    _libraries_log_through(renderer, level=threshold if threshold <= logging.DEBUG else max(threshold, logging.WARNING))
    # httpx logs every request at INFO, with its full URL: a webhook receiver's URL may hold
    # a credential, and what a delivery came to is recorded with the delivery.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _libraries_log_through(renderer: structlog.typing.Processor, *, level: int) -> None:
    """The root logger's one handler: stderr, in our format, from `level` up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                _TIMESTAMP,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
