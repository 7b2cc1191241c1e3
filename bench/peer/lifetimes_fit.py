"""The peer side of ``python -m bench clv``: run by the peer venv's python, never imported.

``python lifetimes_fit.py DATA.npz --repeats N [--mbg] [--compressed]`` loads the arrays
``x``, ``t_x``, ``T`` and ``m`` (mean repeat spend, 0 without repeats) and times ONLY
``BetaGeoFitter().fit`` + ``GammaGammaFitter().fit`` on them, best of N, as people use it: one
row per customer, no weights. ``--mbg`` also times ``ModifiedBetaGeoFitter().fit``;
``--compressed`` also times ``BetaGeoFitter`` on the distinct rows with their counts as
``weights``. The share of the autograd Hessian lifetimes computes in every ``fit`` (for its
standard errors) is measured and reported apart. Prints one JSON line: seconds, fitted
parameters and log-likelihoods in the data's own time unit (lifetimes fits on time scaled by
10 / max T and returns a mean negative log-likelihood; both are undone here so the figures
compare with wcpulse's).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version

import lifetimes.fitters
import numpy as np
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter

_HESSIAN_SECONDS = [0.0]  # spent in the autograd Hessian every fit computes for its errors


def _timed_hessian(function):
    inner = _autograd_hessian(function)

    def call(*args):
        started = time.perf_counter()
        try:
            return inner(*args)
        finally:
            _HESSIAN_SECONDS[0] += time.perf_counter() - started

    return call


_autograd_hessian = lifetimes.fitters.hessian
lifetimes.fitters.hessian = _timed_hessian  # only measured: the fits are unchanged


def _bg_result(fitter, x, weights) -> dict:
    """Parameters and the total log-likelihood in the data's time unit."""
    total = -fitter._negative_log_likelihood_ * weights.sum()
    total += np.log(fitter._scale) * float(weights @ x)  # undo lifetimes' time scaling
    return {"params": {k: float(v) for k, v in fitter.params_.items()}, "log_likelihood": total}


def _gg_result(fitter, weights) -> dict:
    params = {"p": fitter.params_["p"], "q": fitter.params_["q"], "gamma": fitter.params_["v"]}
    total = -fitter._negative_log_likelihood_ * weights.sum()
    return {"params": {k: float(v) for k, v in params.items()}, "log_likelihood": total}


def _bg_and_gg(x, t_x, T, m, repeats: int) -> dict:
    repeat = (x > 0) & (m > 0)
    rx, rm = x[repeat], m[repeat]
    totals, bgs, ggs, hessians = [], [], [], []
    for _ in range(repeats):
        _HESSIAN_SECONDS[0] = 0.0
        started = time.perf_counter()
        bg = BetaGeoFitter().fit(x, t_x, T)
        middle = time.perf_counter()
        gg = GammaGammaFitter().fit(rx, rm)
        ended = time.perf_counter()
        totals.append(ended - started)
        bgs.append(middle - started)
        ggs.append(ended - middle)
        hessians.append(_HESSIAN_SECONDS[0])
    return {
        "seconds": min(totals),
        "hessian_seconds": hessians[totals.index(min(totals))],
        "bgnbd_seconds": min(bgs),
        "gamma_gamma_seconds": min(ggs),
        "bgnbd": _bg_result(bg, x, np.ones_like(x)),
        "gamma_gamma": _gg_result(gg, np.ones_like(rx)),
    }


def _timed_bg(fitter_class, repeats: int, x, t_x, T, weights=None) -> dict:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fitter = fitter_class().fit(x, t_x, T, weights=weights)
        times.append(time.perf_counter() - started)
    used = np.ones_like(x) if weights is None else weights.astype(np.float64)
    return {"seconds": min(times), **_bg_result(fitter, x, used)}


def _compressed(x, t_x, T, repeats: int) -> dict:
    rows, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    result = _timed_bg(BetaGeoFitter, repeats, rows[:, 0], rows[:, 1], rows[:, 2], counts)
    return {"rows": int(rows.shape[0]), **result}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mbg", action="store_true")
    parser.add_argument("--compressed", action="store_true")
    args = parser.parse_args()
    data = np.load(args.data)
    x, t_x, T, m = (np.asarray(data[k], dtype=np.float64) for k in ("x", "t_x", "T", "m"))
    out = {
        "versions": {name: version(name) for name in ("lifetimes", "numpy", "scipy", "pandas")},
        "raw": _bg_and_gg(x, t_x, T, m, args.repeats),
    }
    if args.compressed:
        out["compressed"] = _compressed(x, t_x, T, args.repeats)
    if args.mbg:
        out["mbgnbd"] = _timed_bg(ModifiedBetaGeoFitter, args.repeats, x, t_x, T)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
