"""Every error leaves the API as RFC 9457 problem+json with the right status."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from error_handling.problems import PROBLEM_JSON, NotFound, install_problem_handlers


class Item(BaseModel):
    name: str


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/items/{item_id}")
    async def read(item_id: int) -> dict[str, int]:
        raise NotFound(f"no item {item_id}")

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    return app


def test_a_domain_not_found_is_a_404_problem_with_the_detail() -> None:
    response = TestClient(make_app()).get("/items/7")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "https://backend-interview-answers.dev/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "no item 7",
        "instance": "/items/7",
    }


def test_an_unknown_route_is_a_404_problem() -> None:
    response = TestClient(make_app()).get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "Not Found"


def test_a_wrong_method_is_a_405_problem() -> None:
    response = TestClient(make_app()).delete("/items")

    assert response.status_code == 405
    assert response.json()["title"] == "Method Not Allowed"


def test_an_invalid_body_is_a_422_problem_listing_each_field() -> None:
    response = TestClient(make_app()).post("/items", json={"name": 5})

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request is not valid; see `errors` for each field."
    assert body["errors"][0]["location"] == ["body", "name"]
