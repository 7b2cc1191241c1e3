"""Mistakes in ``wcpulse`` arguments are one line naming the (sub)command and exit status 2,
never a usage dump; and the data directory a command uses is never a surprise: a command
run from another folder refuses (naming the folder it looked in) rather than start a second,
empty installation, and the commands that may start one say so. The table runs through the
command's entry point in this process; the data directory tests run the real command in a
subprocess from folders under tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import TEST_SECRET_KEY, run_wcpulse
from wcpulse.cli import main

MISTAKES = [
    # bad dates
    (["jobs", "run", "rfm", "--shop", "s", "--as-of", "2024-02-30"], "jobs run", "a date like"),
    (["import", "s", "--since", "yesterday"], "import", "use a date like 2024-01-31"),
    # bad numbers
    (["rejected", "s", "--limit", "ten"], "rejected", "use a whole number of 1 or more"),
    (["shop", "set-predictions", "s", "--margin", "abc"], "shop set-predictions", "'abc'"),
    (["customers", "erase", "s", "25", "--wait", "soon"], "customers erase", "'soon'"),
    (["shop", "set-products", "s", "--weights", "1,2"], "shop set-products", "40,40,20"),
    (["process", "--partitions", "a,b"], "process", "numbers like 0,1,2"),
    # demo sizes: negative, zero, absurd, not a number
    (["demo", "--customers", "-5"], "demo", "from 1 to 20000 (got -5)"),
    (["demo", "--customers", "0"], "demo", "from 1 to 20000 (got 0)"),
    (["demo", "--customers", "1000000"], "demo", "from 1 to 20000 (got 1000000)"),
    (["demo", "--customers", "many"], "demo", "(got 'many')"),
    (["run", "--demo", "--demo-customers", "-1"], "run", "from 1 to 20000"),
    # missing options, arguments and subcommands
    (["shop", "add", "--name", "x"], "shop add", "the following arguments are required: --url"),
    (["jobs", "run", "rfm"], "jobs run", "the following arguments are required: --shop"),
    (["replay"], "replay", "the following arguments are required: SHOP"),
    (["shop"], "shop", "the following arguments are required: COMMAND"),
    # unknown options, commands and choices
    (["shop", "list", "--colour"], "shop list", "unrecognized arguments: --colour"),
    (["run", "--port", "9000"], "run", "unrecognized arguments: --port 9000"),
    (["nonsense"], "", "invalid choice: 'nonsense'"),
    (["shop", "set-products", "s", "--price-objective", "fun"], "shop set-products", "'fun'"),
]


@pytest.mark.parametrize(("argv", "command", "words"), MISTAKES, ids=lambda v: str(v))
def test_an_argument_mistake_is_one_line_naming_the_command_and_exit_2(
    argv, command, words, capsys
):
    with pytest.raises(SystemExit) as info:
        main(argv)

    assert info.value.code == 2
    out, err = capsys.readouterr()
    prog = " ".join(["wcpulse", command]).strip()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(prog + ": error: ") and words in line
    assert line.endswith(f"(see {prog} --help)")


def test_the_real_command_reports_a_mistake_in_one_line_without_a_traceback(tmp_path):
    result = run_wcpulse(tmp_path, "demo", "--customers", "-5")

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "wcpulse demo: error: argument --customers: use a whole number from 1 to 20000 "
        "(got -5) (see wcpulse demo --help)"
    ]


def _wcpulse(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The real command run from ``cwd``, with WCPULSE_DATA_DIR only when given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
    clean |= {"WCPULSE_SECRET_KEY": TEST_SECRET_KEY, **env}
    return subprocess.run(
        [sys.executable, "-m", "wcpulse", *args],
        cwd=cwd,
        env=clean,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_read_command_in_a_folder_without_data_refuses_and_creates_nothing(tmp_path):
    result = _wcpulse(tmp_path, "shop", "list")

    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("wcpulse: error: no wcpulse data in " + str(tmp_path / "var"))
    assert "WCPULSE_DATA_DIR" in line
    assert list(tmp_path.iterdir()) == []


def test_shop_add_says_it_starts_a_data_directory_and_only_the_first_time(tmp_path):
    add = ("shop", "add", "--name", "Mine", "--url", "https://mine.example", "--json")
    first = _wcpulse(tmp_path, *add)
    assert first.returncode == 0, first.stderr
    news = [line for line in first.stderr.splitlines() if "new data directory" in line]
    assert news == [
        f"wcpulse: new data directory {tmp_path / 'var'} (WCPULSE_DATA_DIR; shops, keys and "
        "views go there)"
    ]
    assert (tmp_path / "var" / "wcpulse.sqlite3").exists()

    second = _wcpulse(tmp_path, *add)
    assert second.returncode == 0 and "new data directory" not in second.stderr
    listed = _wcpulse(tmp_path, "shop", "list")
    assert listed.returncode == 0 and listed.stdout.count("Mine") == 2


def test_from_another_folder_the_data_directory_is_found_only_when_named(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    added = _wcpulse(home, "shop", "add", "--name", "Mine", "--url", "https://mine.example")
    assert added.returncode == 0, added.stderr

    lost = _wcpulse(elsewhere, "shop", "list")
    assert lost.returncode == 1 and str(elsewhere / "var") in lost.stderr
    assert not (elsewhere / "var").exists()
    found = _wcpulse(elsewhere, "shop", "list", WCPULSE_DATA_DIR="../home/var")
    assert found.returncode == 0 and "Mine" in found.stdout
