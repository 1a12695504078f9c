"""Do the API docs work with no internet? Yes: Swagger UI and GraphiQL load only files in `static/`.

`/docs` is FastAPI's Swagger page pointed at local assets; a browser's GET of `/graphql` gets GraphiQL.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS_PATH = "/docs-assets"
HERE = Path(__file__).parent
GRAPHIQL_PAGE = Template((HERE / "graphiql.html").read_text()).substitute(assets=ASSETS_PATH)


def install_offline_docs(app: FastAPI, graphql_path: str = "/graphql") -> None:
    """Serve `/docs` and the GraphiQL page from `static/`; create the app with `docs_url=None`.

    An app without an OpenAPI document (`openapi_url=None`, the API docs switched off) gets no
    `/docs`; the GraphiQL page, which the GraphQL router switches on or off, is still the local one.
    """
    if app.docs_url is not None:
        # FastAPI's own CDN-based /docs route would be matched first and ours never reached.
        raise ValueError(
            "create the app with FastAPI(docs_url=None) before installing offline docs"
        )
    app.mount(ASSETS_PATH, StaticFiles(directory=HERE / "static"), name="docs-assets")
    app.add_middleware(LocalGraphiQL, path=graphql_path)
    if app.openapi_url is not None:
        _install_swagger_ui(app, app.openapi_url)


def _install_swagger_ui(app: FastAPI, openapi_url: str) -> None:

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger_ui/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger_ui/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/swagger_ui/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


class LocalGraphiQL:
    """When the GraphQL route answers a browser's GET with its IDE page, send the local page instead.

    The router still decides whether there is an IDE at all (Strawberry's `graphql_ide`): only its
    CDN-loading HTML is replaced, so an IDE switched off in production stays off.
    """

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path
        self.page = GRAPHIQL_PAGE.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        replacing = False

        async def send_local_page(message: Message) -> None:
            nonlocal replacing
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message["headers"]))
                is_page = headers.get("content-type", "").startswith("text/html")
                replacing = message["status"] == 200 and is_page
                if replacing:
                    headers["content-length"] = str(len(self.page))
                    message = {**message, "headers": headers.raw}
            elif message["type"] == "http.response.body" and replacing:
                if message.get("more_body", False):
                    return  # the router's page is dropped, chunk by chunk
                message = {"type": "http.response.body", "body": self.page}
            await send(message)

        await self.app(scope, receive, send_local_page)
