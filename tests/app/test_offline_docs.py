"""The docs pages load nothing from the internet: every asset they name is served by the app itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import pytest
import strawberry
from fastapi import FastAPI
from fastapi.testclient import TestClient
from strawberry.fastapi import GraphQLRouter

from app.main import create_app
from app.offline_docs import ASSETS_PATH, install_offline_docs
from app.settings import AppSettings
from backing_services import Settings
from tests.app.conftest import Query

BROWSER_ACCEPT = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
Environment = Literal["development", "production"]
ASSET_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def referenced_assets(html: str) -> list[str]:
    return ASSET_REFERENCE.findall(html)


def assert_all_local_and_served(client: TestClient, html: str) -> None:
    assets = referenced_assets(html)
    assert assets, "the page names no assets at all"
    for url in assets:
        if url.startswith("data:"):
            continue
        # "//cdn.example/x.js" is protocol-relative: remote too.
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not a local URL"
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        assert response.content, f"{url} is empty"


def composed_app(
    redis_url: str, database_url: str, environment: Environment = "development"
) -> FastAPI:
    """The composed app, not started: these pages need neither its lifespan nor its tables."""
    settings = Settings(redis_url=redis_url, database_url=database_url, environment=environment)
    return create_app(settings)


@pytest.fixture
def composed_client(redis_url: str, database_url: str) -> TestClient:
    return TestClient(composed_app(redis_url, database_url))


def test_swagger_ui_page_names_only_local_assets_and_each_is_served(
    composed_client: TestClient,
) -> None:
    # Rule: /docs works offline, so its scripts, styles and icon come from the app, never a CDN.
    response = composed_client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "http://" not in response.text and "https://" not in response.text
    assert f"{ASSETS_PATH}/swagger_ui/swagger-ui-bundle.js" in response.text
    assert_all_local_and_served(composed_client, response.text)


def test_swagger_ui_page_loads_the_apps_own_openapi_document(composed_client: TestClient) -> None:
    # Rule: the page describes this app: it points at /openapi.json, which lists /healthz.
    page = composed_client.get("/docs").text
    document = composed_client.get("/openapi.json").json()

    assert "url: '/openapi.json'" in page
    assert "/healthz" in document["paths"]
    assert "/docs" not in document["paths"], "the docs page itself is not an API operation"


def test_swagger_ui_oauth2_redirect_page_is_served_locally(composed_client: TestClient) -> None:
    # Rule: Swagger UI's OAuth2 "Authorize" flow returns to a page the app serves itself.
    response = composed_client.get("/docs/oauth2-redirect")

    assert response.status_code == 200
    assert "oauth2" in response.text
    assert "https://" not in response.text


def test_a_missing_asset_is_a_404_problem(composed_client: TestClient) -> None:
    # Rule: the assets mount answers an unknown file with a 404 problem+json, not a 500.
    response = composed_client.get(f"{ASSETS_PATH}/swagger_ui/no-such-file.js")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Not Found"


def test_the_assets_mount_serves_nothing_outside_the_static_folder(
    composed_client: TestClient,
) -> None:
    # Rule: an encoded "../" cannot climb out of app/static to read the app's source.
    response = composed_client.get(f"{ASSETS_PATH}/..%2Foffline_docs.py")

    assert response.status_code == 404
    assert response.json()["detail"] == "Not Found"
    assert "install_offline_docs" not in response.text


def test_the_composed_apps_graphql_page_is_the_local_graphiql(composed_client: TestClient) -> None:
    # Rule: in development, a browser's GET of the composed app's /graphql gets the offline page.
    response = composed_client.get("/graphql", headers=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert "GraphiQL.createFetcher" in response.text
    assert_all_local_and_served(composed_client, response.text)


def test_the_composed_apps_graphql_page_stays_off_in_production(
    redis_url: str, database_url: str
) -> None:
    # Rule: production switches GraphiQL off in the GraphQL router; the offline docs respect that.
    client = TestClient(composed_app(redis_url, database_url, environment="production"))

    response = client.get("/graphql", headers=BROWSER_ACCEPT)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "GraphiQL" not in response.text


def test_a_browser_get_of_graphql_gets_graphiql_with_only_local_assets(
    make_tiny_graphql_app: Callable[..., FastAPI],
) -> None:
    # Rule: a browser's GET of /graphql gets GraphiQL, and the page loads nothing from a CDN.
    client = TestClient(make_tiny_graphql_app(graphql_ide=True))

    response = client.get("/graphql", headers=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert int(response.headers["content-length"]) == len(response.content)
    assert "GraphiQL.createFetcher" in response.text
    assert "unpkg.com" not in response.text and "jsdelivr" not in response.text
    assert_all_local_and_served(client, response.text)


def test_graphql_queries_still_reach_the_router_untouched(
    make_tiny_graphql_app: Callable[..., FastAPI],
) -> None:
    # Rule: only the IDE page is replaced; a POSTed query is executed by the GraphQL router.
    client = TestClient(make_tiny_graphql_app(graphql_ide=True))

    response = client.post("/graphql", json={"query": "{ greeting }"})

    assert response.status_code == 200
    assert response.json() == {"data": {"greeting": "hello from the tiny schema"}}


def test_an_ide_switched_off_in_the_router_stays_off(
    make_tiny_graphql_app: Callable[..., FastAPI],
) -> None:
    # Rule: the router decides whether there is an IDE; the offline page never switches it on.
    client = TestClient(make_tiny_graphql_app(graphql_ide=False))

    response = client.get("/graphql", headers=BROWSER_ACCEPT)

    assert response.status_code == 404
    assert "GraphiQL" not in response.text


def test_installing_over_fastapis_own_docs_route_is_refused() -> None:
    # Rule: FastAPI's CDN-based /docs would shadow the local one, so that setup fails loudly.
    with pytest.raises(ValueError, match=r"create the app with FastAPI\(docs_url=None\)"):
        install_offline_docs(FastAPI())


def test_without_an_openapi_document_there_is_no_swagger_ui_but_graphiql_stays_local() -> None:
    # Rule: switching the API docs off removes /docs; the GraphiQL page never falls back to a CDN.
    app = FastAPI(docs_url=None, openapi_url=None)
    router: GraphQLRouter[None, None] = GraphQLRouter(strawberry.Schema(query=Query))
    app.include_router(router, prefix="/graphql")
    install_offline_docs(app)
    client = TestClient(app)

    assert client.get("/docs").status_code == 404
    page = client.get("/graphql", headers=BROWSER_ACCEPT)
    assert "GraphiQL.createFetcher" in page.text
    assert_all_local_and_served(client, page.text)


@pytest.mark.parametrize("path", ["/docs", "/openapi.json", "/docs/oauth2-redirect"])
def test_the_api_docs_are_off_in_production_by_default(
    redis_url: str, database_url: str, path: str
) -> None:
    # Rule: production publishes no map of the API (OWASP API9:2023); the docs are a setting.
    client = TestClient(composed_app(redis_url, database_url, environment="production"))

    response = client.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("environment", "api_docs", "status"),
    [("production", True, 200), ("development", False, 404), ("development", None, 200)],
)
def test_the_api_docs_setting_overrides_the_environment_default(
    redis_url: str, database_url: str, environment: Environment, api_docs: bool | None, status: int
) -> None:
    # Rule: API_DOCS=true publishes them in production, API_DOCS=false hides them anywhere.
    settings = Settings(redis_url=redis_url, database_url=database_url, environment=environment)
    client = TestClient(create_app(settings, AppSettings(api_docs=api_docs)))

    assert client.get("/openapi.json").status_code == status
    assert client.get("/docs").status_code == status
