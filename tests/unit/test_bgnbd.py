"""BG/NBD and Gamma-Gamma fits reproduce the published CDNOW parameters (SPEC §4)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from processors.analytics.bgnbd import (
    FitFailed,
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_gamma_gamma,
)

CDNOW = (
    Path(__file__).parents[1]
    / "fixtures"
    / "cdnow"
    / "cdnow_customers_summary_with_transactions.csv"
)


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    with CDNOW.open() as handle:
        rows = list(csv.DictReader(handle))
    return {name: np.array([float(r[name]) for r in rows]) for name in ("x", "t_x", "T", "zbar")}


def test_the_cdnow_sample_has_the_2357_customers_of_the_paper(cdnow):
    assert cdnow["x"].size == 2357


def test_bgnbd_on_cdnow_gives_the_published_parameters_and_log_likelihood(cdnow):
    fit = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    published = (0.243, 4.414, 0.793, 2.426)
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(published, abs=6e-4)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_on_cdnow_repeat_buyers_gives_the_published_parameters(cdnow):
    fit = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    # to the printed precision: this file's maximum is at p 6.249, q 3.745, gamma 15.448
    assert (fit.p, fit.q, fit.gamma) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)


def test_the_likelihood_of_a_customer_is_the_same_in_a_crowd_or_alone(cdnow):
    params = (0.243, 4.414, 0.793, 2.426)
    everyone = bgnbd_log_likelihood(params, cdnow["x"], cdnow["t_x"], cdnow["T"])
    alone = bgnbd_log_likelihood(params, cdnow["x"][:1], cdnow["t_x"][:1], cdnow["T"][:1])
    assert alone[0] == everyone[0]
    assert np.all(np.isfinite(everyone)) and np.all(everyone < 0)


def test_the_order_of_customers_does_not_change_the_fit(cdnow):
    order = np.random.default_rng(3).permutation(cdnow["x"].size)
    shuffled = fit_bgnbd(cdnow["x"][order], cdnow["t_x"][order], cdnow["T"][order])
    straight = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert shuffled == straight


def test_nothing_to_fit_is_a_clear_fit_failure_not_a_crash():
    with pytest.raises(FitFailed, match="no customers"):
        fit_bgnbd([], [], [])
    with pytest.raises(FitFailed, match="no repeat customers"):
        fit_gamma_gamma([0, 0], [10.0, 12.0])
