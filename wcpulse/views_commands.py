"""``wcpulse views SHOP [VIEW] [--sql]``: a shop's published views and how to query them.

Each view is a base file and at most one delta (``store/viewstore.py``); the manifest names
the live ones. The listing gives each view's rows and files; ``--sql`` prints the DuckDB
query that reads a view as the API does, for plain DuckDB (``duckdb -c "..."``).
"""

from __future__ import annotations

import argparse
from typing import Any

from schemas.settings import Settings
from store.layout import shop_paths
from store.view_files import live_files, merge_sql, read_manifest
from wcpulse.errors import UserError
from wcpulse.wiring import find_shop


def show_views(args: argparse.Namespace, settings: Settings) -> int:
    shop = find_shop(settings, args.shop)
    views_dir = shop_paths(settings.data_dir, shop.shop_id).views_dir
    manifest = read_manifest(views_dir)
    files = live_files(manifest)
    if args.view is not None and args.view not in files:
        known = ", ".join(sorted(files)) or "none yet"
        raise UserError(f"shop {shop.shop_id} has no published view {args.view!r} ({known})")
    chosen = [args.view] if args.view else sorted(files)
    if not chosen:
        print(f"shop {shop.shop_id}: no views published yet")
        return 0
    if args.sql:
        for name in chosen:
            print(f"-- {name}\n{merge_sql(files[name], views_dir.resolve())};")
        return 0
    print(f"shop {shop.shop_id}, views version {manifest.get('version')}")
    for name in chosen:
        entry = files[name]
        deltas = ", ".join(entry.deltas) or "-"
        print(f"  {name:<18} {entry.rows:>9} rows  base {entry.base}  deltas {deltas}")
    return 0


def register(sub: Any) -> None:
    """Add the ``views`` command."""
    views = sub.add_parser(
        "views",
        help="list a shop's published views, or print the SQL that reads them",
        description="List the shop's published views (rows, base file, delta file), or with "
        "--sql print the DuckDB query that reads each one as the API does (the base file's "
        "rows whose key is not in the delta, plus the delta's rows that are not deleted).",
    )
    views.add_argument("shop", metavar="SHOP")
    views.add_argument("view", metavar="VIEW", nargs="?", help="one view (default: all)")
    views.add_argument("--sql", action="store_true", help="print DuckDB SQL that reads them")
    views.set_defaults(handler=show_views)
