"""BG/NBD, MBG/NBD and Gamma-Gamma fits reproduce the published CDNOW parameters (SPEC §4);
their analytic gradients, the exact row grouping and the failure modes of the fits."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import gammaln

from processors.analytics import mle
from processors.analytics.bgnbd import (
    BgNbdParams,
    FitFailed,
    bgnbd_gradient,
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    gamma_gamma_gradient,
    gamma_gamma_log_likelihood,
    mbgnbd_gradient,
    mbgnbd_log_likelihood,
)
from processors.analytics.mle import distinct_rows

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


def test_mbgnbd_on_cdnow_gives_the_btydplus_parameters(cdnow):
    fit = fit_mbgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    # lifetimes test_params_out_is_close_to_BTYDplus (ModifiedBetaGeoFitter): decimal=3
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(
        (0.525, 6.183, 0.891, 1.614), abs=1.5e-3
    )


def test_the_fits_report_method_convergence_iterations_and_customers(cdnow):
    bg = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    mbg = fit_mbgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    gg = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    for fit in (bg, mbg, gg):
        assert fit.method == "L-BFGS-B" and fit.converged and 0 < fit.iterations < 200
    assert (bg.customers, mbg.customers, gg.customers) == (2357, 2357, 946)


def test_a_hand_made_parameter_set_says_it_was_not_fitted():
    params = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    assert not params.converged and params.method == "" and math.isnan(params.log_likelihood)


def test_the_mbgnbd_likelihood_is_the_batislam_formula_written_out(cdnow):
    r, alpha, a, b = 0.525, 6.183, 0.891, 1.614
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    # Batislam et al. 2007 / Wagner & Hoppe 2008, as four terms (the layout of lifetimes)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    expected = a1 + a2 + a3 + np.log1p(np.exp(a4))
    got = mbgnbd_log_likelihood((r, alpha, a, b), x, t_x, T)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_the_mbgnbd_fit_maximises_the_summed_likelihood(cdnow):
    fit = fit_mbgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    best = (fit.r, fit.alpha, fit.a, fit.b)
    total = mbgnbd_log_likelihood(best, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
    assert fit.log_likelihood == pytest.approx(total, abs=1e-6)
    for nudge in np.eye(4) * 1e-3:
        nearby = mbgnbd_log_likelihood(
            np.array(best) * (1 + nudge), cdnow["x"], cdnow["t_x"], cdnow["T"]
        )
        assert nearby.sum() < total


def _central_differences(log_likelihood, params, *data, step=1e-6):
    columns = []
    for i in range(len(params)):
        h = np.zeros(len(params))
        h[i] = step * params[i]
        up = log_likelihood(np.array(params) + h, *data)
        down = log_likelihood(np.array(params) - h, *data)
        columns.append((up - down) / (2 * h[i]))
    return np.column_stack(columns)


@pytest.mark.parametrize(
    ("log_likelihood", "gradient"),
    [(bgnbd_log_likelihood, bgnbd_gradient), (mbgnbd_log_likelihood, mbgnbd_gradient)],
)
def test_the_analytic_gradients_match_central_differences_away_from_the_optimum(
    cdnow, log_likelihood, gradient
):
    params = (0.6, 3.0, 1.4, 1.7)
    data = (cdnow["x"], cdnow["t_x"], cdnow["T"])
    analytic = gradient(params, *data)
    assert analytic.shape == (2357, 4)
    numeric = _central_differences(log_likelihood, params, *data)
    np.testing.assert_allclose(analytic, numeric, rtol=2e-5, atol=1e-7)
    # and the gradient really is not zero there: the test could fail
    assert np.abs(analytic.sum(axis=0)).min() > 1.0


def test_the_gamma_gamma_gradient_matches_central_differences(cdnow):
    repeat = cdnow["x"] > 0
    data = (cdnow["x"][repeat], cdnow["zbar"][repeat])
    analytic = gamma_gamma_gradient((4.0, 2.5, 20.0), *data)
    numeric = _central_differences(gamma_gamma_log_likelihood, (4.0, 2.5, 20.0), *data)
    np.testing.assert_allclose(analytic, numeric, rtol=2e-5, atol=1e-7)


def test_a_fit_in_days_is_the_fit_in_weeks_with_alpha_times_seven(cdnow):
    weeks = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    days = fit_bgnbd(cdnow["x"], 7 * cdnow["t_x"], 7 * cdnow["T"])
    assert (days.r, days.alpha / 7, days.a, days.b) == pytest.approx(
        (weeks.r, weeks.alpha, weeks.a, weeks.b), rel=1e-4
    )
    # each repeat purchase time's density is divided by 7
    shift = np.log(7) * cdnow["x"].sum()
    assert days.log_likelihood == pytest.approx(weeks.log_likelihood - shift, abs=1e-6)


def test_whole_day_rows_are_grouped_exactly_as_np_unique_groups_them():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 20, 5000).astype(float)
    T = rng.integers(0, 1096, 5000).astype(float)
    t_x = np.floor(T * rng.uniform(size=5000) * (x > 0))
    for columns in ((x, t_x, T), (x, t_x + 0.5, T)):  # whole days, and not
        (xs, txs, Ts), counts = distinct_rows(*columns)
        rows, expected = np.unique(np.column_stack(columns), axis=0, return_counts=True)
        np.testing.assert_array_equal(np.column_stack([xs, txs, Ts]), rows)
        np.testing.assert_array_equal(counts, expected)


def test_the_order_of_day_data_does_not_change_the_fit(cdnow):
    x, t_x, T = cdnow["x"], np.round(7 * cdnow["t_x"]), np.round(7 * cdnow["T"])
    order = np.random.default_rng(4).permutation(x.size)
    assert fit_bgnbd(x[order], t_x[order], T[order]) == fit_bgnbd(x, t_x, T)


def test_a_shop_where_nobody_bought_twice_is_a_fit_failure():
    for fit in (fit_bgnbd, fit_mbgnbd):
        with pytest.raises(FitFailed, match="no repeat purchases"):
            fit([0, 0, 0], [0, 0, 0], [5, 6, 7])
        with pytest.raises(FitFailed, match="no customers"):
            fit([], [], [])


def test_an_impossible_history_is_a_fit_failure_not_nonsense():
    with pytest.raises(FitFailed, match="invalid history"):
        fit_bgnbd([1, 2], [5, 9], [4, 10])  # the last purchase after the end
    with pytest.raises(FitFailed, match="invalid history"):
        fit_mbgnbd([1, np.nan], [1, 2], [3, 4])


def test_a_shop_where_nobody_has_dropped_out_yet_has_no_interior_fit():
    # everyone bought on the last day: the likelihood grows as a -> 0 and r -> infinity
    x, t_x, T = [3, 5, 2, 7] * 10, [40] * 40, [40] * 40
    with pytest.raises(FitFailed, match="no interior maximum"):
        fit_bgnbd(x, t_x, T)


def test_when_l_bfgs_b_fails_nelder_mead_still_finds_the_published_optimum(cdnow, monkeypatch):
    real = mle.minimize

    def failing_gradient_method(*args, **kwargs):
        if kwargs.get("method") != "L-BFGS-B":
            return real(*args, **kwargs)
        result = real(*args, **{**kwargs, "options": {"maxiter": 2}})  # stopped far away
        result.success, result.jac = False, np.ones_like(result.x)
        return result

    monkeypatch.setattr(mle, "minimize", failing_gradient_method)
    fit = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert fit.method == "Nelder-Mead" and fit.converged
    published = (0.243, 4.414, 0.793, 2.426)
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(published, abs=6e-4)
