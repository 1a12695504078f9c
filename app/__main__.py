"""Run the composed app with uvicorn: `python -m app` (HOST and PORT from the environment)."""

import uvicorn

from app.settings import AppSettings


def main() -> None:
    settings = AppSettings()
    uvicorn.run("app.asgi:app", host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
