"""The repo's importable packages, in one list the fixtures and the compose checks share."""

PACKAGES = (
    "backing_services", "app", "rate_limiter", "rest_vs_graphql", "migrations_demo",
    "cap_theorem", "auth", "error_handling", "scaling", "microservices", "api_security",
    "queue_demo",
)  # fmt: skip
