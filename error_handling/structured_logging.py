"""How should a production service log? One JSON object per line, with the request's ids merged in.

`configure_logging` routes structlog and the standard library through the same chain.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

from error_handling.redaction import redact_secrets
from error_handling.settings import ErrorHandlingSettings

_installed_handler: logging.Handler | None = None


THIRD_PARTY_LOGGERS = ("redis", "asyncio", "httpx", "httpcore", "hpack", "multipart", "urllib3")


def logging_configured() -> bool:
    return _installed_handler is not None


def configure_logging(
    json: bool | None = None, *, stream: TextIO | None = None, level: str | None = None
) -> None:
    """JSON lines in production, readable lines in development; both redacted; idempotent.

    `stream` defaults to stdout (twelve-factor: the platform collects it).
    """
    # Imported here, not at the top: the backing_services package loads SQLAlchemy for its URL
    # helpers, and a module that only formats log lines should not cost its importers that.
    from backing_services.settings import get_settings

    global _installed_handler
    shared = get_settings()
    if json is None:
        json = ErrorHandlingSettings().log_json
    if json is None:
        json = shared.environment == "production"

    # Context first (request id, traceparent), so every line can be joined to its request.
    before_rendering: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*before_rendering, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Lines from the standard library (uvicorn, sqlalchemy, …) get the same context.
        foreign_pre_chain=[*before_rendering, structlog.stdlib.PositionalArgumentsFormatter()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # The traceback becomes text before redaction, so secrets in it are caught too.
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    if _installed_handler is not None:
        root.removeHandler(_installed_handler)
    root.addHandler(handler)
    root.setLevel(level or shared.log_level)
    # Our DEBUG lines are the trail an investigation follows; libraries' DEBUG lines (redis-py's
    # "Failed to enable maintenance notifications" on every connection, asyncio, httpcore) bury it.
    for library in THIRD_PARTY_LOGGERS:
        logging.getLogger(library).setLevel(max(root.level, logging.INFO))
    _installed_handler = handler
