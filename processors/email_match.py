"""Finding an erased customer's e-mail address in text (pure).

An address can appear as typed, in any letter case, JSON- or PHP-escaped (``\\u0040`` for
``@``, ``\\/``, ``\\u00e9`` for non-ASCII letters) or URL-encoded (``%40``), in a raw body
or in a decoded string. It is known in one of two ways:

- in plain text, during a live erasure (read from the state, kept in memory only): every
  occurrence is found by an escape-aware, case-insensitive pattern, even one glued to
  other text;
- by the SHA-256 of its normalised form only (a tombstone never stores the address): each
  ``@`` is taken as the middle of a candidate address, every start of the local part and
  every label end of the domain around it is tried, and a candidate whose hash (or
  ``guest-`` key, the first 16 hex digits) is known is replaced.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping

_ATS = ("@", "\\u0040", "%40")  # JSON writes the "u" of an escape in lower case
_LOCAL_SEPARATORS = frozenset("._%+-!#$&'*/=?^`{|}~")
_DOMAIN_CHARS = frozenset("-.\\")
_MAX_LOCAL = 64 * 6  # 64 characters, each at most a 6-character escape
_MAX_DOMAIN = 255 * 6
_JSON_ESCAPES = frozenset('ntrbf"/\\')
_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})?|\\/")


def normalise_email(value: str) -> str:
    """As processors.normalise does it: trimmed, lower case."""
    return value.strip().lower()


def email_sha256(email: str) -> str:
    """Hex SHA-256 of the normalised address (a guest's key is ``guest-`` + its first 16)."""
    data = normalise_email(email).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    try:
        return _ESCAPE.sub(lambda m: json.loads(f'"{m.group(0)}"'), text)
    except ValueError:
        return text


def _char_pattern(char: str) -> str:
    if char == "@":
        return r"(?:@|\\u0040|%40)"
    if char == "/":
        return r"(?:/|\\/)"
    if char.isascii():
        return re.escape(char)
    forms = {char, char.lower(), char.upper()}
    forms |= {json.dumps(form)[1:-1] for form in list(forms)}
    return "(?:" + "|".join(re.escape(form) for form in sorted(forms)) + ")"


def plain_pattern(email: str) -> re.Pattern[str]:
    """Every spelling of ``email`` in raw or decoded JSON, any letter case."""
    body = "".join(_char_pattern(c) for c in normalise_email(email))
    return re.compile(body, re.IGNORECASE)


class EmailFinder:
    """Replaces known addresses in text with the erased address of their erasure.

    ``hashes`` maps an address hash, ``guest_keys`` a guest customer key, ``plain`` a
    plain address to the replacement (``erased-<erasure_id>@erased.invalid``)."""

    def __init__(
        self,
        hashes: Mapping[str, str],
        guest_keys: Mapping[str, str] | None = None,
        plain: Mapping[str, str] | None = None,
    ) -> None:
        self._hashes = dict(hashes)
        self._guests = dict(guest_keys or {})
        self._plain = [(plain_pattern(e), r) for e, r in sorted((plain or {}).items())]
        covered = {email_sha256(email) for email in plain or {}}
        # the search around each "@" is needed only for what no plain address covers
        self._scan = bool(
            set(self._hashes) - covered or set(self._guests) - {f"guest-{h[:16]}" for h in covered}
        )

    def __bool__(self) -> bool:
        return bool(self._hashes or self._guests or self._plain)

    def owner(self, email: str) -> str | None:
        """The replacement for an address (a body's billing e-mail), or None."""
        if not email:
            return None
        digest = email_sha256(email)
        return self._hashes.get(digest) or self._guests.get("guest-" + digest[:16])

    def mentions(self, text: str) -> bool:
        return self.replace(text) is not text

    def replace(self, text: str) -> str:
        """``text`` with every known address replaced; the same object when none is."""
        if not self or not any(sign in text for sign in _ATS):
            return text
        out = text
        for pattern, replacement in self._plain:
            out = pattern.sub(replacement, out)
        out = self._replace_hashed(out)
        return text if out == text else out

    def _replace_hashed(self, text: str) -> str:
        if not self._scan:
            return text
        pieces: list[str] = []
        done = 0
        for at, after in _at_signs(text):
            if at < done:
                continue
            hit = self._hit(text, at, after)
            if hit is not None:
                start, end, replacement = hit
                pieces += [text[done:start], replacement]
                done = end
        return "".join(pieces) + text[done:] if pieces else text

    def _hit(self, text: str, at: int, after: int) -> tuple[int, int, str] | None:
        """The longest known address around the ``@`` at ``at``: (start, end, replacement)."""
        starts = _local_starts(text, at)
        for end in _domain_ends(text, after):
            domain = _unescape(text[after:end])
            for start in starts:
                replacement = self.owner(_unescape(text[start:at]) + "@" + domain)
                if replacement is not None:
                    return start, end, replacement
        return None


def _at_signs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every spelling of ``@`` in ``text``, in order."""
    found = []
    for sign in _ATS:
        index = text.find(sign)
        while index != -1:
            found.append((index, index + len(sign)))
            index = text.find(sign, index + 1)
    return sorted(found)


def _local_starts(text: str, at: int) -> list[int]:
    """Where the local part before the ``@`` at ``at`` may begin, longest first: the start
    of the run of local-part characters, and every position after a separator in it (a
    ``.``, ``+``, ``/``, ``=``... or a JSON escape such as ``\\n``), so that an address
    glued to a path, a query or an escape is found too."""
    starts = []
    index = at
    limit = max(0, at - _MAX_LOCAL)
    while index > limit:
        char = text[index - 1]
        if char == "\\":
            if text[index] in _JSON_ESCAPES:
                starts.append(index + 1)
        elif char in _LOCAL_SEPARATORS:
            starts.append(index)
        elif not char.isalnum():
            break
        index -= 1
    starts.append(index)
    return sorted({start for start in starts if start < at})


def _domain_ends(text: str, after: int) -> list[int]:
    """Ends of the candidate domains after an ``@`` (at least two labels), longest first."""
    end = after
    limit = min(len(text), after + _MAX_DOMAIN)
    while end < limit and (text[end].isalnum() or text[end] in _DOMAIN_CHARS):
        end += 1
    run = text[after:end]
    first_dot = run.find(".")
    if first_dot <= 0:
        return []
    return [
        after + size
        for size in range(len(run), first_dot + 1, -1)
        if run[size - 1].isalnum() and (size == len(run) or not run[size].isalnum())
    ]
