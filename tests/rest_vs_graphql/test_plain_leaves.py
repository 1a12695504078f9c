"""The plain-leaf executor answers as graphql-core does: the same data, the same errors, every query."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any, ClassVar, NewType

import strawberry
from graphql import GraphQLObjectType, Undefined
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig

from rest_vs_graphql.graphql_http import build_schema
from rest_vs_graphql.plain_leaves import PLAIN_LEAF, PlainLeafExecutor, mark_plain_leaves
from rest_vs_graphql.settings import TwinSettings


@strawberry.enum
class Colour(Enum):
    RED = "red"


# A scalar that can decline a value by coercing it to Undefined, which graphql-core reports.
Code = NewType("Code", str)
CODE = strawberry.scalar(
    name="Code", serialize=lambda value: Undefined if value == "-" else value, parse_value=str
)


class Refused(BasePermission):
    message = "refused by its permission class"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    name: str
    count: int
    ratio: float
    ok: bool
    when: datetime
    note: str | None
    colour: Colour
    code: Code = Code("ok")
    guarded: str | None = strawberry.field(default="secret", permission_classes=[Refused])

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


WHEN = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def item(name: Any, count: Any, ratio: float, when: Any = WHEN, note: str | None = None) -> Item:
    return Item(  # Strawberry types are dataclasses: nothing checks these values at runtime
        name=name, count=count, ratio=ratio, ok=True, when=when, note=note, colour=Colour.RED
    )


GOOD = item("a", 1, 0.5)
# Values their types cannot hold: each must come back as graphql-core's own error.
HOSTILE = [
    item(None, 2, 1.5, note="n"),
    item("b", "three", 2.5),
    item("c", 4, float("nan")),
    item("d", 5, 1.0, when="not a datetime"),
    item("e", 2**40, 1.0),
    Item(
        name="f",
        count=6,
        ratio=1.0,
        ok=True,
        when=WHEN,
        note=None,
        colour=Colour.RED,
        code=Code("-"),
    ),
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [GOOD, *HOSTILE]

    @strawberry.field
    def item(self) -> Item | None:
        return GOOD


def schema_pair(
    extensions: list[type[SchemaExtension]] | None = None,
) -> tuple[strawberry.Schema, strawberry.Schema]:
    config = StrawberryConfig(scalar_map={Code: CODE})
    stock = strawberry.Schema(query=Query, extensions=extensions or [], config=config)
    plain = strawberry.Schema(
        query=Query,
        extensions=extensions or [],
        config=config,
        execution_context_class=PlainLeafExecutor,
    )
    mark_plain_leaves(plain._schema)
    return stock, plain


STOCK, PLAIN = schema_pair()


def answer(schema: strawberry.Schema, query: str) -> tuple[Any, list[dict[str, Any]]]:
    result = schema.execute_sync(query)
    return result.data, [dict(error.formatted) for error in result.errors or []]


def marked(schema: strawberry.Schema) -> set[str]:
    return {
        f"{named.name}.{name}"
        for named in schema._schema.type_map.values()
        if isinstance(named, GraphQLObjectType)
        for name, field in named.fields.items()
        if PLAIN_LEAF in field.extensions
    }


def test_only_scalars_strawberry_reads_off_an_attribute_are_marked() -> None:
    # Rule: a resolver, a permission class (an extension) or an enum keeps graphql-core's path.
    scalars = ("name", "count", "ratio", "ok", "when", "note", "code")
    assert marked(PLAIN) == {f"Item.{n}" for n in scalars}


def test_a_schema_that_reads_fields_another_way_is_left_to_graphql_core() -> None:
    # Rule: with a default resolver other than getattr, reading the attribute would be wrong.
    config = StrawberryConfig(
        scalar_map={Code: CODE}, default_resolver=lambda obj, name: getattr(obj, name)
    )
    schema = strawberry.Schema(
        query=Query, config=config, execution_context_class=PlainLeafExecutor
    )
    mark_plain_leaves(schema._schema)

    assert marked(schema) == set()


def test_the_twins_schema_marks_the_lists_nine_message_fields() -> None:
    schema = build_schema(TwinSettings())
    list_fields = ("sid", "from", "to", "body", "status", "direction", "price")
    dates = ("dateCreated", "dateUpdated")

    assert {f"Message.{n}" for n in (*list_fields, *dates)} <= marked(schema)
    assert "Message.phoneNumber" not in marked(schema)


def test_every_hostile_value_is_refused_with_graphql_cores_own_words() -> None:
    query = "{ items { name count ratio ok when note colour code guarded shout } }"

    data, errors = answer(PLAIN, query)

    assert (data, errors) == answer(STOCK, query)
    assert data["items"] == [
        {"name": "a", "count": 1, "ratio": 0.5, "ok": True, "when": WHEN.isoformat(),
         "note": None, "colour": "RED", "code": "ok", "guarded": None, "shout": "A"},
        None, None, None, None, None, None,
    ]  # fmt: skip
    assert [(e["path"][1:], e["message"]) for e in errors] == [
        ([0, "guarded"], "refused by its permission class"),
        ([1, "name"], "Cannot return null for non-nullable field Item.name."),
        ([2, "count"], "Int cannot represent non-integer value: 'three'"),
        ([3, "ratio"], "Float cannot represent non numeric value: nan"),
        ([4, "when"], "'str' object has no attribute 'isoformat'"),
        ([5, "count"], "Int cannot represent non 32-bit signed integer value: 1099511627776"),
        ([6, "code"], "Expected `Code.coerce_output_value('-')` to return non-nullable value,"
                      " returned: Undefined"),
    ]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries(str(STOCK)))
def test_any_query_gets_the_same_data_and_errors_as_from_graphql_core(query: str) -> None:
    assert answer(PLAIN, query) == answer(STOCK, query)


class SeesEveryField(SchemaExtension):
    seen: ClassVar[list[str]] = []

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        SeesEveryField.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def test_an_extension_that_hooks_resolve_still_sees_every_field() -> None:
    # Rule: a middleware must see every field, so its presence turns the shortcut off.
    stock, plain = schema_pair([SeesEveryField])
    query = "{ item { name count note } }"
    SeesEveryField.seen = []
    answer(stock, query)
    by_stock, SeesEveryField.seen = SeesEveryField.seen, []

    answer(plain, query)

    assert SeesEveryField.seen == by_stock == ["item", "name", "count", "note"]
