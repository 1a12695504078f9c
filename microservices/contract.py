"""How do two services that deploy separately stay compatible? A contract, checked in CI on both sides.

The provider's OpenAPI schema is the contract; these are the consumer's expectations of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from microservices.accounts import NewAccount
from microservices.messages import AccountView

Schema = dict[str, Any]


@dataclass(frozen=True)
class Expectation:
    """One call the consumer makes: what it sends and which fields of the answer it reads."""

    method: str
    path: str
    status: str
    reads: type[BaseModel]
    sends: type[BaseModel] | None = None
    path_params: tuple[str, ...] = ()


# Exactly the calls AccountsClient makes (accounts_client.py), with the models it parses into.
ACCOUNTS_CLIENT_EXPECTS = (
    Expectation("get", "/accounts/{account_id}", "200", AccountView, path_params=("account_id",)),
    Expectation("post", "/accounts", "201", AccountView, sends=NewAccount),
)


def contract_violations(
    openapi: Schema, expectations: tuple[Expectation, ...] = ACCOUNTS_CLIENT_EXPECTS
) -> list[str]:
    """Every way the provider's schema breaks the consumer's expectations; [] means compatible."""
    problems: list[str] = []
    for expected in expectations:
        where = f"{expected.method.upper()} {expected.path}"
        operation = openapi.get("paths", {}).get(expected.path, {}).get(expected.method)
        if operation is None:
            problems.append(f"{where}: the provider has no such operation")
            continue
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
        problems += [
            f"{where}: path parameter {name!r} is not declared"
            for name in expected.path_params
            if name not in declared
        ]
        response = operation.get("responses", {}).get(expected.status)
        if response is None:
            problems.append(f"{where}: no {expected.status} response")
        else:
            provided = _resolve(openapi, response["content"]["application/json"]["schema"])
            problems += [f"{where} response: {p}" for p in _covers(provided, expected.reads)]
        if expected.sends is not None:
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            accepted = _resolve(openapi, body["schema"]) if body else {}
            problems += [f"{where} request: {p}" for p in _accepts(accepted, expected.sends)]
    return problems


def _covers(provided: Schema, reads: type[BaseModel]) -> list[str]:
    """The provider must always send every field the consumer requires, with a type it parses."""
    wanted = reads.model_json_schema()
    problems = []
    for name in wanted.get("required", []):
        if name not in provided.get("required", []):
            problems.append(f"field {name!r} is not guaranteed (missing or optional)")
            continue
        have, want = provided["properties"][name], wanted["properties"][name]
        problems += _type_mismatch(name, have, want)
        problems += _enum_mismatch(name, have, want)
    return problems


def _accepts(accepted: Schema, sends: type[BaseModel]) -> list[str]:
    """The provider must accept every field the consumer sends and require no field it does not."""
    sent = sends.model_json_schema()
    problems = [
        f"field {name!r} is required but the consumer never sends it"
        for name in accepted.get("required", [])
        if name not in sent.get("properties", {})
    ]
    for name, schema in sent.get("properties", {}).items():
        if name not in accepted.get("properties", {}):
            problems.append(f"field {name!r} is sent but the provider does not accept it")
            continue
        problems += _type_mismatch(name, accepted["properties"][name], schema)
    return problems


def _enum_mismatch(name: str, provided: Schema, wanted: Schema) -> list[str]:
    """The provider may not send a value outside the consumer's enum (a new status, say)."""
    if "enum" not in wanted:
        return []
    if "enum" not in provided:
        return [
            f"field {name!r} may be any {provided.get('type')}, the consumer accepts {wanted['enum']}"
        ]
    extra = sorted(set(provided["enum"]) - set(wanted["enum"]))
    return [f"field {name!r} may be {extra}, which the consumer rejects"] if extra else []


def _type_mismatch(name: str, provided: Schema, wanted: Schema) -> list[str]:
    for key in ("type", "format"):
        if provided.get(key) != wanted.get(key):
            return [f"field {name!r} is {key} {provided.get(key)!r}, expected {wanted.get(key)!r}"]
    return []


def _resolve(openapi: Schema, schema: Schema) -> Schema:
    """Follow a `#/components/schemas/...` reference to the schema it names."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = openapi["components"]["schemas"][name]
    return schema
