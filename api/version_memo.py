"""Answers computed once per published version (a per-process cache).

A key names what was computed (a query and its parameters); the shop's views folder and
the hash of the manifest the request read are added to it, so a new publish (a new
manifest) never finds an older answer. Views without a manifest naming their files (not
published yet, or the single files of earlier versions) are never cached. The newest
``MAX_ENTRIES`` answers are kept, least recently used dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from api.viewfiles import ShopViews

MAX_ENTRIES = 512

T = TypeVar("T")

_lock = threading.Lock()
_answers: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()


def remembered(views: ShopViews, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or its answer for ``key`` under this version of ``views``. The
    answer is shared between requests: it must not be changed by its users."""
    identity = views.identity
    if identity is None:
        return compute()
    full = (*identity, *key)
    with _lock:
        if full in _answers:
            _answers.move_to_end(full)
            return _answers[full]  # type: ignore[no-any-return]
    answer = compute()
    with _lock:
        _answers[full] = answer
        while len(_answers) > MAX_ENTRIES:
            _answers.popitem(last=False)
    return answer


def forget_all() -> None:
    with _lock:
        _answers.clear()
