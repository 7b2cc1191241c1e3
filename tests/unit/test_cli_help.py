"""Every command and subcommand of ``wcpulse`` answers ``--help`` with its usage and a
description, exit status 0 and no traceback (argparse formats help texts with ``%``, so a
stray ``10%`` in one crashed ``shop set-predictions --help``)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from wcpulse.cli import build_parser


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator:
    """(path, parser, help text) of every command under ``parser``, ``parser`` included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, (*path, name))


COMMANDS = [path for path, _ in _commands(build_parser())]


def test_the_walk_finds_every_command_and_the_nested_ones():
    assert {("run",), ("demo",), ("shop", "set-predictions"), ("alerts", "set")} <= set(COMMANDS)
    assert ("customers", "erase") in COMMANDS and ("jobs", "run") in COMMANDS
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "wcpulse")
def test_help_of_every_command_exits_0_with_its_usage(path, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*path, "--help"])

    assert info.value.code == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: " + " ".join(("wcpulse", *path)))
    assert err == ""
    assert len(out.splitlines()) >= 3  # usage, a blank line, then options or a description


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=" ".join)
def test_every_command_is_listed_with_a_sentence_of_help_by_its_parent(path):
    parent = dict(_commands(build_parser()))[path[:-1]]
    [subparsers] = [a for a in parent._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in subparsers._choices_actions}
    assert helps.get(path[-1]), f"`wcpulse {' '.join(path[:-1])} --help` lists no help for it"


def test_the_percent_signs_of_set_predictions_are_shown_as_percent_signs(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["shop", "set-predictions", "--help"])

    out = capsys.readouterr().out
    assert "(0.1 = 10%)" in out and "(0.3 = 30%)" in out
