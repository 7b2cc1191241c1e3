"""The ``wcpulse`` command. User mistakes end as one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from schemas.settings import Settings, SettingsError, load_settings
from store.errors import StoreError
from wcpulse import (
    alert_commands,
    commands,
    erase_commands,
    job_commands,
    rejected_commands,
    shop_cli,
    views_commands,
    woo_commands,
)
from wcpulse.errors import UserError
from wcpulse.logs import configure_logging
from wcpulse.wiring import open_registry


def _partitions(text: str) -> list[int] | None:
    if text == "all":
        return None
    try:
        return sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("use 'all' or numbers like 0,1,2") from None


class OneLineParser(argparse.ArgumentParser):
    """A mistake in the arguments is one line and exit status 2, not a usage dump (``--help``
    still shows the usage). Subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="wcpulse",
        description="Real-time analytics for WooCommerce shops. Settings: WCPULSE_* variables.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = sub.add_parser("run", help="ingest, processors and API in one process")
    run.add_argument(
        "--demo", action="store_true", help="create and fill a demo shop on first start"
    )
    run.add_argument("--demo-customers", type=int, default=3000, help=argparse.SUPPRESS)
    run.set_defaults(handler=commands.run)
    sub.add_parser("ingest", help="the webhook receiver only").set_defaults(handler=commands.ingest)
    process = sub.add_parser("process", help="stream processors for some partitions")
    process.add_argument(
        "--partitions", type=_partitions, default=None, help="all (default) or 0,1,.."
    )
    process.set_defaults(handler=commands.process)
    sub.add_parser("api", help="the read API and dashboard only").set_defaults(handler=commands.api)
    shop_cli.register(sub, open_registry)
    woo_commands.register(sub)
    job_commands.register(sub)
    alert_commands.register(sub, open_registry)
    erase_commands.register(sub)
    rejected_commands.register(sub)
    views_commands.register(sub)
    replay = sub.add_parser("replay", help="rebuild a shop's state and views from its raw log")
    replay.add_argument("shop", metavar="SHOP")
    replay.set_defaults(handler=commands.replay)
    demo = sub.add_parser(
        "demo", help="create a demo shop and send its history to a running server"
    )
    demo.add_argument("--customers", type=int, default=3000)
    demo.set_defaults(handler=commands.demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings: Settings = load_settings()
        configure_logging(settings)
        return int(args.handler(args, settings) or 0)
    except (UserError, SettingsError, StoreError) as exc:
        print(f"wcpulse: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
