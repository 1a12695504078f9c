"""What text may a client send? Printable text: control characters are refused with a 422.

PostgreSQL cannot store NUL in a text column, and a NUL or an escape sequence in a name or a URL
is never meant: refusing them where text comes in (REST, GraphQL, auth) keeps them out of the
database, the logs and the terminals that display both.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# C0 controls, DEL and C1 controls: Unicode category Cc.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same, less tab, line feed and carriage return, which a message body may carry.
_CONTROL_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

CONTROL_CHARACTERS = "must not contain control characters (such as NUL or ESC)"
CONTROL_CHARACTERS_BUT_LINE_BREAKS = (
    "must not contain control characters other than tab and line breaks (such as NUL or ESC)"
)


def single_line(value: str) -> str:
    """Refuse every control character: for names, identifiers, URLs and tokens."""
    if _CONTROL.search(value):
        raise ValueError(CONTROL_CHARACTERS)
    return value


def multi_line(value: str) -> str:
    """Refuse control characters but tab, CR and LF: for free text such as a message body."""
    if _CONTROL_BUT_WHITESPACE.search(value):
        raise ValueError(CONTROL_CHARACTERS_BUT_LINE_BREAKS)
    return value


PlainText = Annotated[str, AfterValidator(single_line)]
MultilineText = Annotated[str, AfterValidator(multi_line)]
