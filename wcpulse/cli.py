"""The ``wcpulse`` command. User mistakes end as one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from schemas.settings import Settings, SettingsError, load_settings
from store.errors import StoreError
from wcpulse import (
    alert_commands,
    commands,
    demo_command,
    erase_commands,
    job_commands,
    rejected_commands,
    shop_cli,
    views_commands,
    woo_commands,
)
from wcpulse.data_dir import check_data_dir
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
    still shows the usage), naming the (sub)command it is about. Subcommands' parsers are of
    this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = super().parse_known_args(args, namespace)
        if not hasattr(parsed, "command_prog"):  # the innermost subcommand sets it first
            parsed.command_prog = self.prog
        return parsed, extras

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            prog = parsed.command_prog
            self.exit(
                2,
                f"{prog}: error: unrecognized arguments: {' '.join(extras)} (see {prog} --help)\n",
            )
        return parsed


def _services(sub: Any) -> None:
    """The long-running commands; they may start a new data directory (and say so)."""
    run = sub.add_parser("run", help="ingest, processors and API in one process")
    run.add_argument(
        "--demo", action="store_true", help="create and fill a demo shop on first start"
    )
    run.add_argument(
        "--demo-customers", type=demo_command.demo_size, default=3000, help=argparse.SUPPRESS
    )
    run.set_defaults(handler=commands.run, creates_data=True)
    ingest = sub.add_parser("ingest", help="the webhook receiver only")
    ingest.set_defaults(handler=commands.ingest, creates_data=True)
    process = sub.add_parser("process", help="stream processors for some partitions")
    process.add_argument(
        "--partitions", type=_partitions, default=None, help="all (default) or 0,1,.."
    )
    process.set_defaults(handler=commands.process, creates_data=True)
    api = sub.add_parser("api", help="the read API and dashboard only")
    api.set_defaults(handler=commands.api, creates_data=True)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="wcpulse",
        description="Real-time analytics for WooCommerce shops. Settings: WCPULSE_* variables "
        "(WCPULSE_DATA_DIR, default ./var of the current folder, holds the shops and data).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _services(sub)
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
    demo_command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings: Settings = load_settings()
        configure_logging(settings)
        check_data_dir(settings, creates=getattr(args, "creates_data", False))
        return int(args.handler(args, settings) or 0)
    except (UserError, SettingsError, StoreError) as exc:
        print(f"wcpulse: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
