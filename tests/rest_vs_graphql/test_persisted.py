"""Persisted documents: allow-listed queries by GET, revalidated with ETags, checked once at registration."""

import importlib
import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from graphql.language.parser import Parser

from rest_vs_graphql import screens
from rest_vs_graphql.graphql_http import allow_list, build_schema
from rest_vs_graphql.persisted import RegistrationError, document_id
from rest_vs_graphql.settings import TwinSettings

LIST_URL = f"/graphql/{document_id(screens.LIST_QUERY)}"
ACCEPT = {"accept": "application/graphql-response+json"}
# The module, not the function `graphql.validation.validate` that shadows it.
VALIDATE_MODULE = importlib.import_module("graphql.validation.validate")


async def get_list(
    client: httpx.AsyncClient, variables: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    params = {"variables": json.dumps(variables)}
    return await client.get(LIST_URL, params=params, headers={**ACCEPT, **(headers or {})})


def register(source: str, expected_id: str | None = None) -> str:
    settings = TwinSettings(environment="production")
    documents = allow_list(build_schema(settings), settings, [])
    return documents.register(source, expected_id)


def count_calls(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, counts: Counter[str]
) -> None:
    """Wrap graphql-core's own function so each real call is counted and still runs."""
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)


async def test_a_persisted_get_answers_what_the_post_answers(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: the id names the document; the variables travel in the URL; the data is the same.
    by_get = await screens.list_by_graphql(client, "/graphql", account_sid, 50, persisted=True)
    by_post = await screens.list_by_graphql(client, "/graphql", account_sid, 50)

    assert by_get.exchanges[0].status == 200
    assert by_get.facts == by_post.facts and len(by_get.facts) == 50


async def test_a_persisted_get_is_neither_parsed_nor_validated_per_request(
    client: httpx.AsyncClient, account_sid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rule: the document was parsed and validated once, at registration; a request only looks it up.
    counts: Counter[str] = Counter()
    count_calls(monkeypatch, Parser, "parse_document", counts)
    count_calls(monkeypatch, VALIDATE_MODULE, "ValidationContext", counts)

    for _ in range(3):
        assert (await get_list(client, {"account": account_sid, "first": 5})).status_code == 200
    per_persisted_get = dict(counts)
    never_seen = f'{{ account(sid: "{account_sid}") {{ sid }} a{uuid.uuid4().hex}: __typename }}'
    await client.post("/graphql", json={"query": never_seen})

    assert per_persisted_get == {}
    assert counts == {"parse_document": 1, "ValidationContext": 1}  # the counters do count


async def test_a_persisted_get_revalidates_with_an_etag_and_gets_304(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: a GET has a URL, so HTTP revalidation works for GraphQL as it does for REST.
    variables = {"account": account_sid, "first": 5}
    first = await get_list(client, variables)
    again = await get_list(client, variables, {"If-None-Match": first.headers["etag"]})

    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["content-type"] == "application/graphql-response+json"
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


async def test_an_unknown_document_id_is_a_404_with_one_graphql_error(
    client: httpx.AsyncClient,
) -> None:
    # Rule: Appendix A — a document the server cannot find is a GraphQL response with a single error.
    unknown = document_id("{ __typename }")

    response = await client.get(f"/graphql/{unknown}", headers=ACCEPT)

    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"message": f"No persisted document has the id {unknown}."}]
    }


async def test_a_malformed_document_id_is_a_400_problem(client: httpx.AsyncClient) -> None:
    # Rule: only `sha256:` and 64 lowercase hex digits name a document here.
    response = await client.get("/graphql/sha256:ABC")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "'sha256:ABC' is not a document id: expected sha256: and 64 lowercase hex digits"
    )


async def test_variables_that_are_not_a_json_object_are_a_400_problem(
    client: httpx.AsyncClient,
) -> None:
    # Rule: a request that is not a GraphQL request at all gets problem+json, as on POST.
    response = await client.get(LIST_URL, params={"variables": "{nope"})

    assert response.status_code == 400
    assert response.json()["detail"] == (
        'variables must be a JSON object, e.g. variables={"account":"AC…"}'
    )


async def test_a_missing_required_variable_is_a_400_without_data(
    client: httpx.AsyncClient,
) -> None:
    # Rule: variables are coerced before execution; a missing one is a request error, no `data`.
    response = await get_list(client, {"first": 5})

    assert response.status_code == 400
    assert "etag" not in response.headers
    assert [e["message"] for e in response.json()["errors"]] == [
        "Variable '$account' has invalid value: Expected a value of non-null type 'String!' to be provided."
    ]
    assert "data" not in response.json()


async def test_an_unknown_account_is_a_coded_field_error_by_get_too(
    client: httpx.AsyncClient,
) -> None:
    # Rule: field errors keep their code and partial data, whichever way the query came.
    response = await get_list(client, {"account": "AC0", "first": 5})

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"account": None}
    assert body["errors"][0]["extensions"]["code"] == "not-found"


def test_a_document_registered_under_another_documents_id_is_refused() -> None:
    # Rule: the id is the document's hash, so a mismatched pair is a mistake or a forgery.
    wrong = document_id("{ __typename }")

    with pytest.raises(RegistrationError) as refused:
        register(screens.LIST_QUERY, wrong)

    assert str(refused.value) == (
        f"{wrong} does not match the document, whose id is {document_id(screens.LIST_QUERY)}"
    )


def test_a_document_deeper_than_the_limit_is_refused_at_registration() -> None:
    # Rule: the twin's depth, alias and token guards run when a document is registered.
    inner = "sid"
    for _ in range(3):
        inner = f"messages(first: 1) {{ edges {{ node {{ account {{ {inner} }} }} }} }}"

    with pytest.raises(RegistrationError) as refused:
        register(f'query Deep {{ account(sid: "AC0") {{ {inner} }} }}')

    assert str(refused.value) == "'Deep' exceeds maximum operation depth of 6"


def test_a_document_with_too_many_tokens_is_refused_at_registration() -> None:
    # Rule: the token limit applies to the parse at registration, as it does to a POSTed query.
    fields = " ".join(["sid"] * 1200)

    with pytest.raises(RegistrationError) as refused:
        register(f'{{ account(sid: "AC0") {{ {fields} }} }}')

    assert str(refused.value) == (
        "Syntax Error: Document contains more than 1000 tokens. Parsing aborted."
    )


def test_a_mutation_is_refused_at_registration() -> None:
    # Rule: persisted documents run by GET, and GET must not change state (GraphQL over HTTP).
    mutation = 'mutation { createMessage(input: {accountSid: "AC0", from: "+1", to: "+2", body: "x"}) { sid } }'

    with pytest.raises(RegistrationError) as refused:
        register(mutation)

    assert str(refused.value) == "a persisted document holds exactly one query operation"
