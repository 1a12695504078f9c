"""Scalar fields read straight off an object skip graphql-core's per-field machinery.

graphql-core executes every field alike: it builds a `ResolveInfo` of fifteen parts, calls the
resolver, then completes the value by its type. For a scalar field that Strawberry resolves by
reading an attribute (no resolver, no extension) all of that yields one attribute read and the
scalar's `coerce_output_value`;
in the 50-message list that is 450 of the 503 fields. This executor does just that for those
fields. Every other field, and any value it cannot plainly coerce (None, a failed coercion),
takes graphql-core's own path, which reports errors as it always does.

What it buys is measured by `benchmarks/rest_vs_graphql_field_cost_bench.py`; that the answers and
the errors are graphql-core's is shown by `tests/rest_vs_graphql/test_plain_leaves.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

PLAIN_LEAF = "plain-leaf"  # the key under a GraphQLField's `extensions`


class PlainLeaf(NamedTuple):
    attribute: str
    coerce: Callable[[Any], Any]  # the scalar's `coerce_output_value`, as graphql-core calls it


def mark_plain_leaves(schema: GraphQLSchema) -> None:
    """Tag every scalar field Strawberry resolves by reading an attribute."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            scalar = get_nullable_type(field.type)
            if reads_attribute(field, definition) and isinstance(scalar, GraphQLScalarType):
                field.extensions[PLAIN_LEAF] = PlainLeaf(
                    definition.python_name, scalar.coerce_output_value
                )


def reads_attribute(field: GraphQLField, definition: Any) -> bool:
    """No resolver, no extension (permission classes are one), no arguments: a bare attribute.

    Strawberry's own shortcut for such fields is the resolver named below; a field with any
    extension gets another one, so a renamed shortcut switches this off, never on by mistake.
    The shortcut reads with the schema's default resolver, so only `getattr` qualifies.
    """
    resolver_name = getattr(field.resolve, "__qualname__", "")
    return (
        definition is not None
        and definition.is_basic_field
        and resolver_name.endswith("._get_basic_result")
        and definition.default_resolver is getattr
        and not field.args
    )


class PlainLeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, answering marked leaves with one attribute read and one coercion."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        name = field_details_list[0].node.name.value
        field = self.schema.get_field(parent_type, name)
        leaf: PlainLeaf | None = field.extensions.get(PLAIN_LEAF) if field else None
        if leaf is not None and not self._has_middleware():
            value = plain_value(source, leaf)
            if value is not None:
                return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _has_middleware(self) -> bool:
        # A middleware (a Strawberry extension with a `resolve` hook) must see every field.
        manager = self.middleware_manager
        return manager is not None and bool(manager.middlewares)


def plain_value(source: Any, leaf: PlainLeaf) -> Any:
    """The coerced attribute, or None to let graphql-core resolve the field and report errors."""
    try:
        coerced = leaf.coerce(getattr(source, leaf.attribute))
    except Exception:  # graphql-core repeats the read and reports what failed
        return None
    return None if coerced is Undefined else coerced
