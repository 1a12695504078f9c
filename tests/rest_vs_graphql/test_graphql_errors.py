"""Bad input to the GraphQL twin: 400 for request errors, 200 with coded field errors, never a 500."""

from typing import Any

import httpx
from graphql import GraphQLError

from error_handling.problems import Conflict
from rest_vs_graphql import screens
from rest_vs_graphql.graphql_http import coded_error

ACCEPT = {"accept": "application/graphql-response+json"}
CREATE = """
mutation Create($input: CreateMessageInput!) {
  createMessage(input: $input) { sid status from to body }
}"""


async def ask(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=ACCEPT
    )


def messages_query(account_sid: str, arguments: str) -> str:
    return (
        f'{{ account(sid: "{account_sid}") {{ messages({arguments}) {{ edges {{ cursor }} }} }} }}'
    )


async def test_a_syntax_error_is_a_400_without_data(client: httpx.AsyncClient) -> None:
    # Rule: GraphQL-over-HTTP — a document that does not parse is a request error: 400, no `data`.
    response = await ask(client, "{ account(sid: ) }")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert response.json() == {
        "errors": [
            {"message": "Syntax Error: Unexpected ')'.", "locations": [{"line": 1, "column": 16}]}
        ]
    }


async def test_an_unknown_field_is_a_400_naming_it(client: httpx.AsyncClient) -> None:
    # Rule: a document that does not validate against the schema is a request error too.
    response = await ask(client, '{ account(sid: "AC1") { balance } }')

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "Cannot query field 'balance' on type 'Account'."
    )


async def test_plain_json_clients_get_200_for_request_errors(client: httpx.AsyncClient) -> None:
    # Rule: the legacy `application/json` media type keeps the old "always 200" behaviour.
    response = await client.post("/graphql", json={"query": "{ account(sid: ) }"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] is None


async def test_a_body_that_is_not_json_is_a_problem_400(client: httpx.AsyncClient) -> None:
    # Rule: a request that is not a GraphQL request at all gets problem+json, like REST.
    response = await client.post(
        "/graphql", content=b"{nope", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Unable to parse request body as JSON"


async def test_an_unknown_account_is_a_coded_field_error_with_partial_data(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: a field error is 200 with `data` (null where it failed) and a machine-readable code.
    query = f'{{ known: account(sid: "{account_sid}") {{ sid }} unknown: account(sid: "AC0") {{ sid }} }}'

    response = await ask(client, query)

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"known": {"sid": account_sid}, "unknown": None}
    assert body["errors"][0]["message"] == "No account AC0 is visible to you."
    assert body["errors"][0]["path"] == ["unknown"]
    assert body["errors"][0]["extensions"] == {"code": "not-found", "status": 404}


async def test_an_unknown_account_asked_only_for_its_messages_is_still_not_found(
    client: httpx.AsyncClient,
) -> None:
    # Rule: the account row is not read when only its pages are asked, so the empty page looks it up.
    query = '{ account(sid: "AC0") { messages(first: 5) { edges { node { sid } } } } }'

    response = await ask(client, query)

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"account": None}
    assert body["errors"][0]["message"] == "No account AC0 is visible to you."
    assert body["errors"][0]["path"] == ["account", "messages"]
    assert body["errors"][0]["extensions"] == {"code": "not-found", "status": 404}


async def test_an_unknown_account_asked_for_a_later_page_is_still_not_found(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: a later page of nothing proves nothing, so a query with `after` reads the account first.
    first = await ask(client, messages_query(account_sid, "first: 2"))
    cursor = first.json()["data"]["account"]["messages"]["edges"][-1]["cursor"]
    query = f'{{ account(sid: "AC0") {{ messages(first: 2, after: "{cursor}") {{ edges {{ node {{ sid }} }} }} }} }}'

    response = await ask(client, query)

    body = response.json()
    assert body["data"] == {"account": None}
    assert body["errors"][0]["message"] == "No account AC0 is visible to you."
    assert body["errors"][0]["path"] == ["account"]


async def test_an_invalid_cursor_is_a_coded_field_error(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: `after` is the same opaque token as REST's PageToken, refused with the same words.
    response = await ask(client, messages_query(account_sid, 'first: 2, after: "garbage"'))

    error = response.json()["errors"][0]
    assert response.status_code == 200
    assert error["message"] == (
        "The page token is not one this API issued; start again from the first page."
    )
    assert error["extensions"]["code"] == "invalid-page-token"


async def test_an_oversized_first_is_refused_like_page_size(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: `first` obeys the same bound as PageSize, because one service checks both.
    response = await ask(client, messages_query(account_sid, "first: 500"))

    error = response.json()["errors"][0]
    assert error["message"] == "PageSize must be between 1 and 100; got 500."
    assert error["extensions"]["code"] == "validation-failed"


async def test_bad_mutation_input_lists_each_field(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: createMessage validates exactly as POST Messages.json does, field by field.
    variables = {"input": {"accountSid": account_sid, "from": "+1415", "to": "x", "body": ""}}

    response = await ask(client, CREATE, variables)

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"createMessage": None}  # nullable: only this send's field is null
    assert body["errors"][0]["message"] == "The message is not valid; see `errors` for each field."
    assert body["errors"][0]["extensions"]["errors"] == [
        {"field": "To", "message": "must be an E.164 number"},
        {"field": "Body", "message": "must not be empty"},
    ]


async def test_a_mutation_missing_an_input_field_is_a_400(client: httpx.AsyncClient) -> None:
    # Rule: variables that do not match the input type never reach the resolver.
    response = await ask(client, CREATE, {"input": {"accountSid": "AC1", "to": "+1"}})

    assert response.status_code == 400
    assert "data" not in response.json()
    assert response.json()["errors"][0]["message"] == (
        "Variable '$input' has invalid value: Expected value of type 'CreateMessageInput'"
        " to include required field 'from', found: {'accountSid': 'AC1', 'to': '+1'}."
    )


async def test_a_valid_mutation_queues_a_message_both_twins_then_list(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: a message created through GraphQL is at the top of REST's list, queued.
    inbox = await screens.inbox_by_rest(client, account_sid, 1)
    sender = inbox.facts[0]["number"]
    variables = {
        "input": {"accountSid": account_sid, "from": sender, "to": "+16285550199", "body": "hi"}
    }

    created = (await ask(client, CREATE, variables)).json()["data"]["createMessage"]
    listed = (
        await client.get(f"/2010-04-01/Accounts/{account_sid}/Messages.json?PageSize=1")
    ).json()["messages"][0]

    assert created["status"] == "queued"
    assert created["sid"].startswith("SM") and len(created["sid"]) == 34
    assert (listed["sid"], listed["body"], listed["status"]) == (created["sid"], "hi", "queued")


async def test_a_rest_post_creates_a_message_with_201(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: POST Messages.json with form fields answers 201 and the new resource.
    inbox = await screens.inbox_by_rest(client, account_sid, 1)

    response = await client.post(
        f"/2010-04-01/Accounts/{account_sid}/Messages.json",
        data={"To": "+16285550123", "From": inbox.facts[0]["number"], "Body": "Hello"},
    )

    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    assert response.json()["direction"] == "outbound-api"
    assert (await client.get(response.json()["uri"])).json()["body"] == "Hello"


def test_an_unexpected_exception_is_masked_but_a_domain_error_keeps_its_words() -> None:
    # Rule: a bug's message (SQL, paths) never reaches the client; a DomainError's detail does.
    bug = coded_error(
        GraphQLError("relation accounts does not exist", original_error=RuntimeError())
    )
    domain = coded_error(GraphQLError("ignored", original_error=Conflict("Already queued.")))

    assert (bug.message, bug.extensions) == ("Unexpected error.", {"code": "internal-error"})
    assert (domain.message, domain.extensions) == (
        "Already queued.",
        {"code": "conflict", "status": 409},
    )


async def test_a_query_sent_by_get_is_refused_with_a_problem(client: httpx.AsyncClient) -> None:
    # Rule: queries come by POST only here (GET is the door to CSRF-able, cache-busting queries).
    response = await client.get("/graphql", params={"query": "{ __typename }"})

    assert response.status_code == 400
    assert response.json()["detail"] == "queries are not allowed when using GET"


async def test_a_batch_of_operations_is_refused(client: httpx.AsyncClient) -> None:
    # Rule: batching would multiply a request's cost past the per-query guards, so it is off.
    response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)

    assert response.status_code == 400
    assert response.json()["detail"] == "Batching is not enabled"
