"""Moments in query strings (list filters, validation times): ISO 8601 date-times, read strictly.

Declared to Litestar as strings: it would convert a datetime parameter with msgspec's lax
rules, under which `created_after=0.5` is half a second after 1970.
"""

from __future__ import annotations

import re
from datetime import datetime

from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import QueryParameter

# A date, a time, and optionally seconds, a fraction and an offset (without one, the use case says it is needed).
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
EXAMPLE = "2026-01-05T09:00:00Z"


def moment_parameter(description: str) -> QueryParameter:
    return QueryParameter(description=description, format=OpenAPIFormat.DATE_TIME, max_length=40)



def moment(value: str | None, name: str) -> datetime | None:
    """The date-time `value` names; a 400 problem if it is not one."""
    if value is None:
        return None
    try:
        if _ISO_DATETIME.fullmatch(value):
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    raise ValidationException(f"{name} is an ISO 8601 date and time with an offset, such as {EXAMPLE}")
