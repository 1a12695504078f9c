"""How do you handle error handling and logging in a production system?

One error shape (problem+json), one structured line per event joined by request id, safe retries.

Importing the package imports nothing else: every package that raises a problem imports
`error_handling.problems`, and should not pay for Strawberry, Redis or SQLAlchemy to do so. The names
below load their module on first use (PEP 562 module `__getattr__`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time `__getattr__` below loads each name
    from error_handling.correlation import bound_correlation as bound_correlation
    from error_handling.correlation import current_correlation as current_correlation
    from error_handling.graphql_errors import ProblemDetailsExtension as ProblemDetailsExtension
    from error_handling.graphql_errors import ProblemDetailsSchema as ProblemDetailsSchema
    from error_handling.idempotency import idempotent_route as idempotent_route
    from error_handling.idempotency_store import IdempotencyStore as IdempotencyStore
    from error_handling.install import install_error_handling as install_error_handling
    from error_handling.retry import Backoff as Backoff
    from error_handling.retry import retry as retry
    from error_handling.structured_logging import configure_logging as configure_logging

# Each public name, and the module that defines it.
_HOMES = {
    "Backoff": "retry",
    "IdempotencyStore": "idempotency_store",
    "ProblemDetailsExtension": "graphql_errors",
    "ProblemDetailsSchema": "graphql_errors",
    "bound_correlation": "correlation",
    "configure_logging": "structured_logging",
    "current_correlation": "correlation",
    "idempotent_route": "idempotency",
    "install_error_handling": "install",
    "retry": "retry",
}

__all__ = [
    "Backoff",
    "IdempotencyStore",
    "ProblemDetailsExtension",
    "ProblemDetailsSchema",
    "bound_correlation",
    "configure_logging",
    "current_correlation",
    "idempotent_route",
    "install_error_handling",
    "retry",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'error_handling' has no attribute {name!r}")
    value = getattr(import_module(f"error_handling.{home}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
