"""How do you handle error handling and logging in a production system?

One error shape (problem+json), one structured line per event joined by request id, safe retries.
"""

from error_handling.correlation import bound_correlation, current_correlation
from error_handling.graphql_errors import ProblemDetailsExtension, ProblemDetailsSchema
from error_handling.idempotency import idempotent_route
from error_handling.idempotency_store import IdempotencyStore
from error_handling.install import install_error_handling
from error_handling.retry import Backoff, retry
from error_handling.structured_logging import configure_logging

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
