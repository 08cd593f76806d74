"""Edge values for the API's request edges, and what the API promises about each: which
JSON type a field takes, which text it refuses (control characters where a person's text
goes, as domain/text.py has it), which addresses and times are plainly not ones.

The oracles say only what must be refused; a value they let through may still be refused
for a reason of its own (a page that does not exist, say).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EDGES = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# --- JSON values at their edges -------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text sent as it is: what Python's json module would not write (1e400, NaN, deep nesting)."""

    text: str


def to_json(value: Any) -> str:
    """JSON text of `value`, \\u-escaping everything outside ASCII (so lone surrogates travel as `\\ud800`)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN")
    return json.dumps(value)


def deep(levels: int) -> Raw:
    return Raw("[" * levels + "]" * levels)


EDGE_STRINGS = [
    "", " ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\ufeff",
    "\x00", "Ada\x00Lovelace", "\x07", "\x1b[31mred\x1b[0m", "\x7f", "\x85", "\x9b",
    "Ada\nBcc: eve@example.com", "Ada\r\nBcc: eve@example.com", "line\rreturn",
    "\ud800", "\udfff", "Ada\udc80", "\ud83d", "\ud83d\ude00",
    "\u202eevil.pdf", "Ada\u2066x\u2069", "\u200b", "\u2028", "\u2029",
    "a" * 199, "a" * 200, "a" * 201, " " + "a" * 200 + " ", "a" * 10_000, "a" * 1_000_000,
    "é" * 201, "😀" * 201, "Zoë Ŝtraße 王芳 محمد", "שלום\u200f", "\U0010ffff", "\ufffd",
    "true", "false", "null", "1", "-1", "0", "1e400", "NaN", "[]", "{}",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "${jndi:ldap://x}", "{{7*7}}",
]
EDGE_INTS = [
    0, -1, 1, 2, 255, 999, 1000, 2**31 - 1, 2**31, -(2**31), 2**53, 2**53 + 1,
    2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, -(2**64), 10**100, -(10**100),
]
EDGE_FLOATS = [
    0.0, -0.0, 0.5, -0.5, 1e-320, 5e-324, 1e308, -1e308, 1.7976931348623157e308,
    1_000_000.0, 1_000_000.0000001, 14_400.0, 2.0**53, math.inf, -math.inf, math.nan,
]
EDGE_RAW_NUMBERS = [Raw("1e400"), Raw("-1e400"), Raw("1e-400"), Raw("1" + "0" * 400), Raw("-0"), Raw("1.0"), Raw("1E2"), Raw("0.1e1")]

# A value of each JSON type, for the type each field must refuse.
WRONG_TYPED = [
    "true", "false", "1", "1.5", "", "null", True, False, 0, 1, 1.5, None, [], [1], ["a"], {}, {"a": 1}, deep(1000),
]


def edge_strings() -> st.SearchStrategy[str]:
    generated = st.text(st.characters(codec=None), max_size=40)  # any code point, surrogates included
    # The megabyte string is left to the sweeps: Hypothesis would print it in every report.
    return st.one_of(st.sampled_from([s for s in EDGE_STRINGS if len(s) <= 10_000]), generated)


def edge_values() -> st.SearchStrategy[Any]:
    """Any edge value of any JSON type."""
    return st.one_of(
        edge_strings(),
        st.sampled_from(EDGE_INTS),
        st.integers(),
        st.sampled_from(EDGE_FLOATS),
        st.floats(),
        st.sampled_from(EDGE_RAW_NUMBERS),
        st.sampled_from(WRONG_TYPED),
        st.sampled_from([deep(64), deep(1000), deep(100_000), Raw('{"a":' * 1000 + "1" + "}" * 1000)]),
    )


def json_type(value: Any) -> str:
    """The JSON type of a value as sent (`Raw` numbers are numbers, `Raw` brackets arrays)."""
    if isinstance(value, Raw):
        return "array" if value.text.startswith("[") else "object" if value.text.startswith("{") else "number"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if math.isfinite(value) and value.is_integer() else "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


# --- what a field takes, and what it must refuse ----------------------------------------


def refused_character(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Cs")


def as_decoded(value: str) -> str:
    """The string a JSON decoder makes of `value` sent \\u-escaped: surrogate pairs become one character."""
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def not_one_line(value: str, max_length: int, required: bool = True) -> bool:
    """One line of printable text (domain.text.single_line's rule, as the API promises it)."""
    trimmed = as_decoded(value).strip()
    return (
        (required and not trimmed) or len(trimmed) > max_length
        or any(refused_character(c) or c in BIDI_OVERRIDES or unicodedata.category(c) in ("Zl", "Zp") for c in trimmed)
    )


def not_text(value: str, max_length: int, required: bool = True) -> bool:
    """Printable text, line breaks and tabs allowed (domain.text.multi_line's rule)."""
    trimmed = as_decoded(value).replace("\r\n", "\n").strip()
    return (
        (required and not trimmed) or len(trimmed) > max_length
        or any(refused_character(c) and c not in "\n\t" for c in trimmed)
    )


def not_an_address(value: str) -> bool:
    """Plainly not one mailbox: no @, nothing on one side, white space or control characters inside."""
    address = as_decoded(value).strip()
    local, at, domain = address.rpartition("@")
    return (
        not at or not local or "." not in domain.strip(".") or "@" in local
        or any(c.isspace() or refused_character(c) or c in BIDI_OVERRIDES for c in address)
    )


@dataclass(frozen=True)
class Field:
    """A field of a request body: the JSON types it takes, which values of those it must refuse,
    the edge values every run tries (`edges`), and where random exploration draws more (`values`)."""

    name: str
    types: frozenset[str]
    refuses: Callable[[Any], bool] = lambda _: False
    values: Callable[[], st.SearchStrategy[Any]] = edge_values
    edges: Callable[[], list[Any]] = lambda: [*EDGE_STRINGS, *WRONG_TYPED]

    def must_refuse(self, value: Any) -> bool:
        """True when no 2xx may follow: the wrong JSON type, or a value the API promises to refuse."""
        kind = json_type(value)
        if kind not in self.types and not (kind == "integer" and "number" in self.types):
            return True
        if isinstance(value, float) and not math.isfinite(value):
            return True  # not JSON at all
        return self.refuses(value)


STRING, INTEGER, NUMBER, BOOLEAN, NULL = (frozenset({t}) for t in ("string", "integer", "number", "boolean", "null"))


def one_line(name: str, max_length: int, required: bool = True) -> Field:
    return Field(name, STRING, lambda v: not_one_line(v, max_length, required))


def text(name: str, max_length: int, required: bool = True) -> Field:
    return Field(name, STRING, lambda v: not_text(v, max_length, required))


def choice(name: str, choices: tuple[str, ...], nullable: bool = False) -> Field:
    variants = [c.upper() for c in choices] + [f" {c}" for c in choices] + [f"{c}\x00" for c in choices]
    return Field(
        name, STRING | NULL if nullable else STRING, lambda v: v is not None and v not in choices,
        lambda: st.one_of(st.sampled_from(choices), edge_values()),
        lambda: [*choices, *variants, *EDGE_STRINGS[:20], *WRONG_TYPED],
    )


def _as_number(v: Any) -> float | int:
    return float(v.text) if isinstance(v, Raw) else v


def whole_number(name: str, low: int, high: int, nullable: bool = False) -> Field:
    def refuses(v: Any) -> bool:
        if v is None:
            return False
        n = _as_number(v)
        return not math.isfinite(n) or n != int(n) or not low <= n <= high

    return Field(
        name, INTEGER | NULL if nullable else INTEGER, refuses,
        edges=lambda: [*EDGE_INTS, *EDGE_RAW_NUMBERS, *EDGE_FLOATS, *WRONG_TYPED],
    )


def number(name: str, low: float, high: float, low_inclusive: bool = True) -> Field:
    def refuses(v: Any) -> bool:
        n = _as_number(v)
        return not math.isfinite(n) or not (low <= n if low_inclusive else low < n) or not n <= high

    return Field(name, NUMBER, refuses, edges=lambda: [*EDGE_FLOATS, *EDGE_RAW_NUMBERS, *EDGE_INTS[::3], *WRONG_TYPED])


def boolean(name: str) -> Field:
    return Field(
        name, BOOLEAN, values=lambda: st.one_of(st.booleans(), edge_values()),
        edges=lambda: [True, False, "True", "yes", "on", *WRONG_TYPED],
    )


ADDRESSES = [
    "ada@example.com", " ada@example.com ", "ADA@EXAMPLE.COM", "ada@example", "ada@@example.com", "@example.com",
    "ada@", "ada", "ada@.com", "ada@example..com", ".ada@example.com", "ada.@example.com", "a..da@example.com",
    "ada@exam ple.com", "ada @example.com", "Ada <ada@example.com>", "ada@example.com, eve@example.com",
    "ada@example.com\r\nBcc: eve@example.com", "ada@example.com\x00", '"ada"@example.com', "ada@[127.0.0.1]",
    "ada@127.0.0.1", "zoë@exämple.de", "王芳@例子.中国", "ada@-example.com", "ada@example-.com",
    "a" * 64 + "@example.com", "a" * 65 + "@example.com", "ada@" + "a" * 63 + ".com", "ada@" + "a" * 64 + ".com",
    "ada@" + ("a" * 60 + ".") * 5 + "com", "ada\u202e@example.com", "ada@example.com\u200b",
]


# --- times ---------------------------------------------------------------------------------

DATES = [
    "2026-01-05T09:00:00Z", "2026-01-05T09:00:00+02:00", "2026-01-05T09:00:00.123456Z", "2026-01-05T09:00:00.123456789Z",
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-14:00",
    "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59+14:00", "9999-12-31T00:00:00-00:01", "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z", "+002026-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2016-12-31T23:59:60Z", "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+99:99", "2026-01-01T00:00:00", "2026-01-01", "2026-01-01T00:00Z", "2026-W01-1",
    "20260101T000000Z", "2026-01-01 00:00:00Z", "2026-01-01t00:00:00z", "now", "", " ", "1767225600", "-1", "0.5",
    "1e10", "2026-01-01T00:00:00+0200", "2026-01-01T00:00:00 +02:00", "T00:00:00Z",
    "2026-01-01T00:00:00Z\x00", "２０２６-01-01T00:00:00Z",
]


def not_a_moment(value: str) -> bool:
    """Plainly not "ISO 8601 with an offset", as the API asks: a bare number (which a lax parser
    takes for seconds since 1970), or no offset at the end. (Blank is left out: it may mean "none".)"""
    return bool(value.strip()) and (
        re.fullmatch(r"\s*[+-]?\d+(\.\d*)?([eE][+-]?\d+)?\s*", value) is not None
        or re.search(r"([Zz]|[+-]\d{2}:?\d{2})$", value) is None
    )
