"""Probes named by where a function is defined, tolerant of code that moved or went.

``("processors.projections.views", "write_views", label)`` probes that function wherever
our code holds it (a module that did ``from processors.projections.views import
write_views`` calls it through its own name, so each such name is wrapped).
``("store.state", "DuckDBStateStore.apply", label)`` probes a method. A module or name that
no longer exists is skipped and reported, never an error: the benchmark outlives the names
it looks into."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from bench.probes import Target

OURS = ("schemas", "ingest", "processors", "store", "api", "wcpulse")
Wanted = tuple[str, str, str]  # (module, function or Class.method, label)


def _defined(module_name: str, qualname: str) -> tuple[Any, Any] | None:
    """(owner, object) of ``qualname`` in ``module_name``, or None when it is gone."""
    try:
        owner: Any = importlib.import_module(module_name)
    except ImportError:
        return None
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    if owner is None or not callable(getattr(owner, name, None)):
        return None
    if isinstance(owner, type) and name not in owner.__dict__:
        return None  # inherited: probing.probing wraps only what a class defines itself
    return owner, getattr(owner, name)


def _holders(function: Any, name: str) -> list[Any]:
    """Every loaded module of ours whose ``name`` is ``function``."""
    found = []
    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] in OURS and getattr(module, name, None) is function:
            found.append(module)
    return found


def resolve(wanted: list[Wanted]) -> tuple[list[Target], list[str]]:
    """The probe targets for ``wanted``, and the labels of those that were not found."""
    targets: list[Target] = []
    missing: list[str] = []
    for module_name, qualname, label in wanted:
        found = _defined(module_name, qualname)
        if found is None:
            missing.append(label)
            continue
        owner, function = found
        name = qualname.rsplit(".", 1)[-1]
        owners = [owner] if isinstance(owner, type) else _holders(function, name)
        unique = {id(holder): holder for holder in owners}  # a module known by two names
        targets += [(holder, name, label) for holder in unique.values()]
    return targets, missing
