"""Run the composed app with uvicorn: `python -m app` (HOST and PORT from the environment)."""

import uvicorn

from app.preflight import preflight
from app.settings import AppSettings
from backing_services import get_settings
from error_handling import configure_logging


def main() -> None:
    settings = AppSettings()
    preflight(get_settings())
    configure_logging()
    # Our request middleware writes one line per request; uvicorn's own access log would double it.
    # X-Forwarded-* are read by the app itself, from its settings (API_SECURITY_TRUSTED_PROXIES,
    # RATE_LIMITER_TRUSTED_PROXY_HOPS), off by default; uvicorn's default would believe them from
    # any loopback peer and rewrite the client address and scheme before the app could decide.
    uvicorn.run(
        "app.asgi:app",
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
