"""How does an app adopt all of this? One call: problem handlers, the request middleware, the logs."""

from __future__ import annotations

from fastapi import FastAPI

from error_handling.problems import install_problem_handlers
from error_handling.request_logging import RequestLoggingMiddleware
from error_handling.structured_logging import configure_logging, logging_configured


def install_error_handling(app: FastAPI) -> None:
    """Call after adding your other middleware, so the request middleware wraps them all."""
    if not logging_configured():
        configure_logging()
    install_problem_handlers(app)
    app.add_middleware(RequestLoggingMiddleware)
