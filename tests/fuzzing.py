"""The schemathesis types the fuzz tests share, and the operations a schema documents."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.core.result import Ok

# An operation of any spec: schemathesis parametrises it by the spec's parameter, response,
# security and schema types, which these tests never look at.
Operation = schemathesis.APIOperation[Any, Any, Any, Any]
FuzzCase = schemathesis.Case[Operation]


def documented_operations(schema: schemathesis.BaseSchema) -> list[Operation]:
    """Every operation the schema documents; one schemathesis cannot read fails with its error."""
    operations: list[Operation] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()
        operations.append(result.ok())
    return operations
