"""What the routes need from the app they are mounted in: a session factory and the settings.

`attach` sets both once at start-up, so the same routers serve alone or inside the composed app.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from microservices.settings import MicroservicesSettings


def attach(app: FastAPI, engine: AsyncEngine, settings: MicroservicesSettings) -> None:
    app.state.microservices_sessions = async_sessionmaker(engine, expire_on_commit=False)
    app.state.microservices_settings = settings


def sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    made: async_sessionmaker[AsyncSession] = request.app.state.microservices_sessions
    return made


def settings(request: Request) -> MicroservicesSettings:
    current: MicroservicesSettings = request.app.state.microservices_settings
    return current


# Routes open their transaction themselves (not in a yield dependency), so it commits before the
# response is sent: a 2xx means the rows are stored.
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(sessions)]
SettingsDep = Annotated[MicroservicesSettings, Depends(settings)]
