"""JSON as the webhook receiver accepts it: what PHP's ``json_encode`` can write, bounded.

Refused, each with a message that says what is wrong (never the value):

- nesting deeper than ``MAX_JSON_DEPTH`` (64) levels: real WooCommerce bodies nest fewer
  than 10 levels, and a parser that recurses must never meet 100,000 ``[``;
- a number that is not finite as a double (``1e999``, ``-1e400``, and ``NaN``/``Infinity``
  literals, which are not JSON): ``json.loads`` would quietly turn the first two into inf;
- a lone UTF-16 surrogate escape (``"\\ud800"``): PHP's ``json_encode`` never writes one (it
  refuses invalid UTF-8 and escapes astral characters as pairs), so it is not a WooCommerce
  delivery, and the text it stands for cannot be written as UTF-8 further down;
- an integer too long for Python to read (more than 4300 digits).

Integers of any other size are accepted: the body travels as raw text and the processor
refuses the ones that do not fit its columns, with a reason.

How: one orjson pass, which itself refuses NaN, infinity, lone surrogates and nesting beyond
1024, then a depth check made of C-speed bytes operations (no recursion, no parse); only
when orjson refuses does the standard library decide (``1e999``, an integer of 309 digits),
and the depth check runs *before* it, so it never recurses more than ``MAX_JSON_DEPTH``
levels. orjson reads an integer beyond 64 bits as a float: the value only serves to find
the body's ``id`` (a float is no id) and the body itself travels as the raw text. Measured
(timeit, best of 7, this shared machine) on the fixtures: 3.5 to 11 us per body instead
of 9 to 24 us with ``json.loads`` alone; 100,000 ``[`` then ``]`` are refused in about
1.3 ms, 2 MiB of them in 10 ms; the worst case found, a (signed) 2 MiB body of sibling
arrays each exactly 64 deep, is accepted after about 0.45 s.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

MAX_JSON_DEPTH = 64

NOT_JSON = "body is not valid JSON"
TOO_DEEP = f"body nests deeper than {MAX_JSON_DEPTH} levels"
NOT_FINITE = "body holds a number that is not finite"
LONE_SURROGATE = "body holds a lone UTF-16 surrogate escape"
LONG_INTEGER = "body holds an integer with too many digits"

_STRUCTURE = b'"[]{}'
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in _STRUCTURE)
_TOO_MANY_OPEN = b"[" * (MAX_JSON_DEPTH + 1)
_ONE_KIND_OF_BRACKET = bytes.maketrans(b"{}", b"[]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ESCAPES = re.compile(
    r"(?P<backslash>\\\\)"
    r"|(?P<pair>\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?P<lone>\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
)


class JsonRefused(ValueError):
    """Text the receiver does not accept as a body; the message says why."""


def loads_strict(body: bytes, text: str) -> Any:
    """The value of ``body`` (whose UTF-8 decoding is ``text``), or ``JsonRefused``."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _loads_stdlib(body, text)
    if _excess_nesting(body):
        raise JsonRefused(TOO_DEEP)
    return value


def _loads_stdlib(body: bytes, text: str) -> Any:
    """What orjson refused: the standard library, after a depth check that parses nothing."""
    excess = _excess_nesting(body)
    if excess:
        balanced = excess.count(b"[") == excess.count(b"]")
        raise JsonRefused(TOO_DEEP if balanced else NOT_JSON)
    try:
        value = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_integer
        )
    except JsonRefused:
        raise
    except (ValueError, RecursionError):
        raise JsonRefused(NOT_JSON) from None
    _refuse_lone_surrogates(text)
    return value


def _excess_nesting(body: bytes) -> bytes:
    """Brackets left after peeling ``MAX_JSON_DEPTH`` levels of innermost pairs off the body.

    Empty when the body nests at most that deep. Exact for valid JSON; for invalid JSON it
    errs towards too deep, never too shallow, for every prefix a parser would get through.
    A body with no more opening brackets than the limit cannot nest deeper: no more work.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return b""
    brackets = _brackets_outside_strings(body)
    for _ in range(MAX_JSON_DEPTH):
        if _TOO_MANY_OPEN in brackets:
            break
        peeled = brackets.replace(b"[]", b"")
        if len(peeled) == len(brackets):
            break
        brackets = peeled
    return brackets


def _brackets_outside_strings(body: bytes) -> bytes:
    """The body's brackets outside strings, ``{}`` written as ``[]``: only quotes, brackets
    and escapes decide that, so everything else is dropped first (C-speed bytes methods).

    Escaped backslashes go, then escaped quotes: every quote left opens or closes a string.
    Dropping an adjacent pair of quotes (an empty string, or two strings run together)
    keeps every bracket on its side; the few quotes left split the rest into outside and
    inside pieces, alternately.
    """
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = unescaped.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    outside = b"".join(structure.split(b'"')[::2])
    return outside.translate(_ONE_KIND_OF_BRACKET)


def _refuse_constant(_name: str) -> Any:
    raise JsonRefused(NOT_JSON)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise JsonRefused(NOT_FINITE)
    return value


def _integer(literal: str) -> int:
    try:
        return int(literal)
    except ValueError:  # beyond sys.get_int_max_str_digits()
        raise JsonRefused(LONG_INTEGER) from None


def _refuse_lone_surrogates(text: str) -> None:
    """Read the escapes from the left: an escaped backslash, a surrogate pair, a lone half.

    On the text, not the value: a duplicate key's earlier value is dropped by the parser
    but was still delivered. Valid JSON has backslashes only inside strings.
    """
    if _SURROGATE_ESCAPE.search(text) is None:
        return
    for escape in _ESCAPES.finditer(text):
        if escape.lastgroup == "lone":
            raise JsonRefused(LONE_SURROGATE)
