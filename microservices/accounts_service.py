"""The accounts capability as its own service: two routes over `accounts.py`, plus runtime fault injection.

Its OpenAPI schema (`/openapi.json`) is the contract the messages service's client is tested against.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import create_async_engine

from backing_services import sqlalchemy_async_url
from error_handling.problems import Forbidden, NotFound, install_problem_handlers
from microservices.accounts import Account, NewAccount, create_account, find_account
from microservices.app_state import SessionsDep, attach
from microservices.deadlines import enforce_incoming_deadline
from microservices.faults import FaultInjector, FaultReport, Faults
from microservices.schema import create_tables
from microservices.settings import MicroservicesSettings

FAULTS_DISABLED = (
    "fault injection is disabled; start the service with MICROSERVICES_FAULT_INJECTION=true"
)
FAULTS_LOOPBACK_ONLY = "fault injection is accepted from loopback addresses only"


def local_fault_injector(request: Request) -> FaultInjector:
    """The admin routes exist for demos and tests on one machine, never for the network."""
    settings: MicroservicesSettings = request.app.state.microservices_settings
    if not settings.fault_injection:
        raise Forbidden(FAULTS_DISABLED)
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise Forbidden(FAULTS_LOOPBACK_ONLY)
    injector: FaultInjector = request.app.state.faults
    return injector


FaultsDep = Annotated[FaultInjector, Depends(local_fault_injector)]


# The public routes: the contract. The composed app can include this router on its own.
router = APIRouter(tags=["accounts"])
# The fault switch: for local demos and tests, kept out of the published schema.
admin_router = APIRouter(prefix="/admin", include_in_schema=False)


@router.post("/accounts", status_code=201, response_model=Account)
async def open_account(new: NewAccount, sessions: SessionsDep) -> Account:
    async with sessions.begin() as session:
        return await create_account(session, new)


@router.get("/accounts/{account_id}", response_model=Account)
async def get_account(account_id: uuid.UUID, sessions: SessionsDep) -> Account:
    async with sessions.begin() as session:
        account = await find_account(session, account_id)
    if account is None:
        raise NotFound(f"account {account_id} does not exist")
    return account


@admin_router.get("/faults", response_model=FaultReport)
async def read_faults(faults: FaultsDep) -> FaultReport:
    return faults.report()


@admin_router.put("/faults", response_model=FaultReport)
async def set_faults(new: Faults, faults: FaultsDep) -> FaultReport:
    return faults.set(new)


def create_accounts_app(
    database_url: str, settings: MicroservicesSettings | None = None
) -> FastAPI:
    """The accounts service as its own app (what `python -m microservices.serve accounts` runs)."""
    settings = settings or MicroservicesSettings()
    injector = FaultInjector(settings.fault_seed)
    engine = create_async_engine(sqlalchemy_async_url(database_url), pool_size=10)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await create_tables(engine)
        yield
        injector.release()
        await engine.dispose()

    app = FastAPI(title="accounts", version="1.0.0", lifespan=lifespan)
    attach(app, engine, settings)
    app.state.faults = injector
    install_problem_handlers(app)
    if settings.fault_injection:
        app.middleware("http")(injector.middleware)
    # Added last, so it runs first: a request whose caller gave up never reaches the rest.
    app.middleware("http")(enforce_incoming_deadline)
    app.include_router(router)
    app.include_router(admin_router)
    return app
