"""``python -m bench [NAME ...] [--quick | --full] [--profile] [--list]``

Runs the chosen benchmarks (all by default) one after another and prints, at the end, one
summary line per benchmark. Figures, not tests: the exit status is 0 even when a target is
missed, and non-zero only when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from typing import Any

from bench.catalog import BENCHMARKS, BY_NAME, Benchmark
from bench.options import Options

BUSY_LOAD = 0.5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes (all in under a minute)")
    size.add_argument(
        "--full",
        action="store_true",
        help="the spec's sizes: replay 1M events, latency on the cached 1M-order shop",
    )
    parser.add_argument("--profile", action="store_true", help="also print cProfile hot spots")
    return parser


def _list() -> None:
    for benchmark in BENCHMARKS:
        print(f"{benchmark.name:<11} {benchmark.summary}\n{'':<11} target: {benchmark.target}")


def _load_note() -> str:
    one, five, _ = os.getloadavg()
    busy = "  (machine busy: figures may be low)" if one > BUSY_LOAD else ""
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min), {os.cpu_count()} CPUs{busy}"


def _run_one(benchmark: Benchmark, options: Options) -> dict[str, Any] | None:
    print(f"\n[{benchmark.name}] {_load_note()}", flush=True)
    started = time.perf_counter()
    try:
        result = benchmark.load()(options)
    except Exception:
        traceback.print_exc()
        print(f"[{benchmark.name}] FAILED to run", flush=True)
        return None
    print(f"[{benchmark.name}] done in {time.perf_counter() - started:.0f} s", flush=True)
    return result


def _summary(results: dict[str, dict[str, Any] | None], seconds: float) -> None:
    print(f"\n== summary ({seconds:.0f} s)")
    for name, result in results.items():
        if result is None:
            print(f"   {name:<11} FAILED to run")
            continue
        verdict = "MET" if result.get("met") else "MISSED"
        print(f"   {name:<11} {verdict:<7} {result.get('headline', '')}  [{BY_NAME[name].target}]")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        _list()
        return 0
    unknown = [name for name in args.names if name not in BY_NAME]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; try --list", file=sys.stderr)
        return 2
    options = Options(quick=args.quick, full=args.full, profile=args.profile)
    chosen = [BY_NAME[name] for name in args.names] or list(BENCHMARKS)
    started = time.perf_counter()
    results = {benchmark.name: _run_one(benchmark, options) for benchmark in chosen}
    _summary(results, time.perf_counter() - started)
    return 0 if all(result is not None for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
