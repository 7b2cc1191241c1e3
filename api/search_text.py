"""The customers' search text: what ``q`` searches, lower-cased once per loaded file.

``q`` finds a customer whose e-mail, phone, customer_key or "first last" name contains the
term in any case. Four ILIKEs over 200,000 customers cost about 17 ms a statement (a search
runs two: the count and the page); the same fields lower-cased and joined once, when the
API loads a view's file (``api.memtables``), make it one ``contains`` at about a tenth of
that. The fields are joined by NUL, so a term without NUL never matches across two of
them (a term with NUL is refused, ``api.lists.customers``); a first or last name alone is
found in "first last" (``concat_ws`` skips a null part).
"""

from __future__ import annotations

from collections.abc import Iterable

COLUMN = "_search"
SEPARATOR = "\x00"
FIELDS = ("email", "phone", "customer_key", "concat_ws(' ', first_name, last_name)")
NEEDS = frozenset({"email", "phone", "customer_key", "first_name", "last_name"})
EXPRESSION = f"lower(concat_ws(chr(0), {', '.join(FIELDS)}))"
SELECT_LIST = f"*, {EXPRESSION} AS {COLUMN}"  # a view's columns and its search text


def searchable(columns: Iterable[str]) -> bool:
    """Whether a view with ``columns`` is searched by ``q`` (it has every field)."""
    return NEEDS <= set(columns)
