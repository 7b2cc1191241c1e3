"""BG/NBD and MBG/NBD predictions (and Gamma-Gamma spend) match lifetimes' own test values,
the R BTYD package and Hardie's spreadsheets, and agree with each other on extreme customers.

Expected values cite the lifetimes 0.11.3 test (tests/test_estimation.py) they come from;
"lifetimes 0.11.3 <method>" marks a value computed once with that library's method at the
stated parameters (it is not in its test suite).
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy.special import hyp2f1

from processors.analytics import alive_expectation
from processors.analytics.bgnbd import (
    BgNbdParams,
    GammaGammaParams,
    MbgNbdParams,
    fit_bgnbd,
    fit_mbgnbd,
)
from processors.analytics.btyd import (
    QUANTILE_CAP,
    expected_purchases,
    expected_purchases_new,
    expected_spend,
    median_time_to_next_purchase,
    probability_alive,
    probability_no_purchase,
    purchase_pmf,
    purchase_quantiles,
)

CDNOW = Path(__file__).parents[1] / "fixtures/cdnow/cdnow_customers_summary_with_transactions.csv"
PAPER_BG = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, weeks
BTYDPLUS_MBG = MbgNbdParams(r=0.525, alpha=6.183, a=0.891, b=1.614)  # BTYDplus, weeks
HARDIE_GG = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
# lifetimes test_probability_of_n_purchases_up_to_time_same_as_R_BTYD: P(N(30) = 11..20)
R_BTYD_PMF = [0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
              0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260]  # fmt: skip
# lifetimes test_expectation_returns_same_value_Hardie_excel_sheet: E[N(t)] of a new customer
HARDIE_TIMES = np.array([0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00])
HARDIE_NEW = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    with CDNOW.open() as handle:
        rows = list(csv.DictReader(handle))
    return {name: np.array([float(r[name]) for r in rows]) for name in ("x", "t_x", "T", "zbar")}


@pytest.fixture(scope="module")
def fitted(cdnow) -> tuple[BgNbdParams, MbgNbdParams]:
    history = (cdnow["x"], cdnow["t_x"], cdnow["T"])
    return fit_bgnbd(*history), fit_mbgnbd(*history)


def extreme_customers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histories in days: x up to 300 purchase days, T up to 1000, t_x at x, midway, T."""
    grid = itertools.product((0, 1, 5, 40, 300), (0.0, 0.5, 1.0), (0, 30, 365, 1000))
    rows = [(x, x + share * (T - x) if x else 0.0, T) for x, share, T in grid if x <= T]
    x, t_x, T = np.array(rows, dtype=np.float64).T
    return x, t_x, T


# CDNOW-like parameters in days, with a at 1 -+ 1e-7 (where eq. 10 is 0/0) and away from it
DAY_MODELS = [
    model(r=0.243, alpha=4.414 * 7, a=a, b=2.426)
    for model in (BgNbdParams, MbgNbdParams)
    for a in (0.793, 0.9999999, 1.0000001, 3.0)
]
SOME_DAY_MODELS = DAY_MODELS[::2]


def _name(model: BgNbdParams | MbgNbdParams) -> str:
    return f"{type(model).__name__}-a{model.a}"


# --- the published and reference values -----------------------------------------------------


def test_bgnbd_conditional_expectation_is_hardies_spreadsheet_value(fitted):
    bg, _ = fitted
    # lifetimes test_conditional_expectation_returns_same_value_as_Hardie_excel_sheet:
    # 1.226, to < 0.001
    assert expected_purchases(bg, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=0.001)


def test_bgnbd_expectation_for_a_new_customer_is_hardies_spreadsheet_value(fitted):
    bg, _ = fitted
    # lifetimes test_expectation_returns_same_value_Hardie_excel_sheet (decimal=3)
    np.testing.assert_array_almost_equal(
        expected_purchases_new(bg, HARDIE_TIMES), HARDIE_NEW, decimal=3
    )


def test_bgnbd_purchase_count_probabilities_are_r_btyds():
    # lifetimes test_probability_of_n_purchases_up_to_time_same_as_R_BTYD (BetaGeoFitter)
    assert purchase_pmf(PAPER_BG, 2, 10) == pytest.approx(1.07869e-07, rel=1e-5)
    assert purchase_pmf(PAPER_BG, 39, 0) == pytest.approx(0.5737864, rel=1e-6)
    np.testing.assert_allclose(purchase_pmf(PAPER_BG, 30, np.arange(11, 21)), R_BTYD_PMF, rtol=1e-6)


def test_mbgnbd_expectations_are_close_to_hardies_bgnbd_values(fitted):
    _, mbg = fitted
    # lifetimes TestModifiedBetaGammaFitter test_conditional_expectation_returns_same_value_as_
    # Hardie_excel_sheet (1.226, < 0.05) and test_expectation_returns_same_value_Hardie_excel_sheet
    assert expected_purchases(mbg, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=0.05)
    np.testing.assert_allclose(expected_purchases_new(mbg, HARDIE_TIMES), HARDIE_NEW, rtol=0.05)


def test_mbgnbd_predictions_are_lifetimes_modified_beta_geo_fitters():
    m = BTYDPLUS_MBG
    # lifetimes 0.11.3 ModifiedBetaGeoFitter.conditional_expected_number_of_purchases_up_to_time
    assert expected_purchases(m, 39, 2, 30.43, 38.86) == pytest.approx(1.2629606232673432, rel=1e-9)
    # lifetimes 0.11.3 ModifiedBetaGeoFitter.conditional_probability_alive
    alive = probability_alive(m, [2, 0, 1], [30.43, 0, 1.71], [38.86, 38.86, 38.86])
    np.testing.assert_allclose(alive, [0.706202265118, 0.389735080919, 0.17083648431], rtol=1e-9)
    # lifetimes 0.11.3 ModifiedBetaGeoFitter.probability_of_n_purchases_up_to_time(30, n)
    pmf = [0.610524461145, 0.181736195136, 0.083043690472, 0.044722712887, 0.026428707498]
    np.testing.assert_allclose(purchase_pmf(m, 30, np.arange(5)), pmf, rtol=1e-9)
    # lifetimes 0.11.3 ModifiedBetaGeoFitter.expected_number_of_purchases_up_to_time
    new = [0.053084795264, 1.182953665597, 1.804757577553]
    np.testing.assert_allclose(expected_purchases_new(m, [1.0, 39.0, 78.0]), new, rtol=1e-9)


def test_mbgnbd_purchase_count_probabilities_are_near_r_btyds_bgnbd_values():
    as_mbg = MbgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    # lifetimes TestModifiedBetaGammaFitter
    # test_probability_of_n_purchases_up_to_time_same_as_R_BTYD (its tolerances)
    assert abs(purchase_pmf(as_mbg, 2, 10) - 1.07869e-07) < 10e-5
    np.testing.assert_allclose(purchase_pmf(as_mbg, 30, np.arange(11, 21)), R_BTYD_PMF, rtol=0.5)


def test_a_new_mbgnbd_customer_can_drop_out_before_buying_again():
    m = BTYDPLUS_MBG
    a, b, r, alpha, t = m.a, m.b, m.r, m.alpha, 30.0
    # P(N = 0) = P(drop at time 0) + P(stay) P(no purchase) = a/(a+b) + b/(a+b) (alpha/(alpha+t))^r
    assert purchase_pmf(m, t, 0) == pytest.approx(
        a / (a + b) + b / (a + b) * (alpha / (alpha + t)) ** r
    )
    # Batislam et al. 2007 eq. 9 (scipy's hyp2f1 is accurate at these parameters)
    z = t / (alpha + t)
    closed = b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, z))
    assert expected_purchases_new(m, t) == pytest.approx(closed, rel=1e-12)


def test_probability_alive_edges_are_lifetimes(fitted):
    bg, mbg = fitted
    # lifetimes test_conditional_probability_alive_returns_1_if_no_repeat_purchases
    assert probability_alive(bg, 0, 1, 1) == 1.0
    # lifetimes test_conditional_probability_alive_returns_lessthan_1_if_no_repeat_purchases
    assert probability_alive(mbg, 0, 1, 1) < 1.0
    # lifetimes test_no_runtime_warnings_high_frequency: 0, without any floating point warning
    with np.errstate(all="raise"):
        assert probability_alive(bg, 1000, 10, 100) == 0.0
    # lifetimes test_conditional_probability_alive_is_between_0_and_1
    grid = np.array(
        [(i, j, k) for i in range(0, 100, 10) for j in range(0, 100, 10) for k in range(j, 100, 10)]
    )
    for model in (bg, mbg):
        alive = probability_alive(model, *grid.T)
        assert np.all((alive >= 0) & (alive <= 1))


def test_expected_spend_is_hardies_spreadsheet_value(cdnow):
    gg = HARDIE_GG
    # lifetimes test_conditional_expected_average_profit (atol=0.1), Hardie note 025
    expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    np.testing.assert_allclose(
        expected_spend(gg, cdnow["x"][:10], cdnow["zbar"][:10]), expected, atol=0.1
    )


def test_expected_spend_without_repeat_purchases_is_the_population_mean():
    gg = HARDIE_GG
    population = 6.25 * 15.44 / (3.74 - 1)
    np.testing.assert_allclose(expected_spend(gg, [0, 3, 2], [50.0, 0.0, -1.0]), population)
    # q <= 1: no population mean; a customer's own posterior mean exists while p x + q > 1
    heavy = GammaGammaParams(p=2.0, q=0.8, gamma=15.0)
    spend = expected_spend(heavy, [0, 3], [20.0, 20.0])
    assert np.isnan(spend[0]) and spend[1] == pytest.approx(2.0 * (15 + 60) / (6 + 0.8 - 1))


def test_predictions_reject_a_model_they_do_not_know():
    with pytest.raises(TypeError, match="BgNbdParams or MbgNbdParams"):
        probability_alive(GammaGammaParams(1, 2, 3), 1, 1, 2)  # type: ignore[arg-type]


# --- independent cross-checks on extreme customers ------------------------------------------


@pytest.mark.parametrize("model", DAY_MODELS, ids=_name)
def test_the_conditional_pmf_sums_to_one_and_its_mean_is_the_expectation(model):
    x, t_x, T = extreme_customers()
    n = np.arange(2500)[:, None]
    for t in (1.0, 30.0, 365.0):
        pmf = purchase_pmf(model, t, n, x, t_x, T)
        np.testing.assert_allclose(pmf.sum(axis=0), 1.0, rtol=0, atol=1e-9)
        mean = (n * pmf).sum(axis=0)
        np.testing.assert_allclose(mean, expected_purchases(model, t, x, t_x, T), rtol=1e-6)


def test_the_expectation_is_continuous_through_a_equal_one():
    x, t_x, T = extreme_customers()
    for model in (BgNbdParams, MbgNbdParams):
        near = [model(0.243, 30.9, a, 2.426) for a in (1 - 1e-7, 1.0, 1 + 1e-7)]
        below, at, above = (expected_purchases(m, 365.0, x, t_x, T) for m in near)
        assert np.all(np.isfinite(at))
        np.testing.assert_allclose([below, above], [at, at], rtol=1e-6)


def test_the_series_and_the_quadrature_agree(monkeypatch):
    r = np.array([0.05, 0.243, 1.5, 7.3, 30.2, 300.2])[:, None, None]
    b = np.array([0.1, 0.6, 2.4, 30.4, 302.4])[None, :, None]
    s = np.array([1e-3, 0.1, 1.0, 5.0, 12.0, 29.0])[None, None, :]
    for a in (0.1, 0.793, 0.9999999, 1.0, 2.5, 10.0):
        series = alive_expectation.expected_purchases_while_alive(r, 1.0, a, b, s)
        monkeypatch.setattr(alive_expectation, "SERIES_MAX_S", 0.0)
        quadrature = alive_expectation.expected_purchases_while_alive(r, 1.0, a, b, s)
        monkeypatch.undo()
        np.testing.assert_allclose(series, quadrature, rtol=1e-9)


def test_the_expectation_is_right_where_scipys_hyp2f1_gives_nan():
    # r' 0.24, a 0.79, b' 302.4, s = 365/30 (w = -12.2): scipy's hyp2f1 returns nan here;
    # mpmath at 150 digits: c/(a-1) (1 - 2F1(r, a-1; c; -s)) = 2.8654291458962877
    assert np.isnan(hyp2f1(0.24, 0.79 - 1, 0.79 + 302.4 - 1, -365 / 30))
    got = alive_expectation.expected_purchases_while_alive(0.24, 30.0, 0.79, 302.4, 365.0)
    assert got == pytest.approx(2.8654291458962877, rel=1e-10)


@pytest.mark.parametrize("model", SOME_DAY_MODELS, ids=_name)
def test_no_prediction_is_nan_infinite_or_negative_for_extreme_customers(model):
    x, t_x, T = extreme_customers()
    with np.errstate(all="raise"):
        alive = probability_alive(model, x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    for t in (1.0, 30.0, 365.0):
        values = [
            expected_purchases(model, t, x, t_x, T),
            probability_no_purchase(model, t, x, t_x, T),
            purchase_pmf(model, t, np.arange(400)[:, None], x, t_x, T),
            purchase_quantiles(model, t, x, t_x, T, (0.05, 0.5, 0.95)).astype(float),
        ]
        for value in values:
            assert np.all(np.isfinite(value)) and np.all(value >= 0)
    median = median_time_to_next_purchase(model, x, t_x, T)
    assert not np.any(np.isnan(median)) and np.all(median >= 0)


@pytest.mark.parametrize("model", SOME_DAY_MODELS, ids=_name)
def test_no_purchase_is_the_pmf_at_zero(model):
    x, t_x, T = extreme_customers()
    for t in (1.0, 30.0, 365.0):
        np.testing.assert_allclose(
            probability_no_purchase(model, t, x, t_x, T),
            purchase_pmf(model, t, 0, x, t_x, T),
            rtol=1e-12,
        )


@pytest.mark.parametrize("model", SOME_DAY_MODELS, ids=_name)
def test_the_median_time_to_the_next_purchase_solves_its_equation(model):
    x, t_x, T = extreme_customers()
    median = median_time_to_next_purchase(model, x, t_x, T)
    finite = np.isfinite(median)
    assert finite.any() and (~finite).any()
    none_by = probability_no_purchase(model, median[finite], x[finite], t_x[finite], T[finite])
    np.testing.assert_allclose(none_by, 0.5, rtol=1e-9)
    assert np.all(probability_alive(model, x, t_x, T)[~finite] <= 0.5)


@pytest.mark.parametrize("model", SOME_DAY_MODELS, ids=_name)
def test_quantiles_are_where_the_cdf_crosses_the_probabilities(model):
    x, t_x, T = extreme_customers()
    probs = (0.1, 0.5, 0.9)
    for t in (30.0, 365.0):
        quantiles = purchase_quantiles(model, t, x, t_x, T, probs)
        cdf = np.cumsum(purchase_pmf(model, t, np.arange(2000)[:, None], x, t_x, T), axis=0)
        columns = np.arange(x.size)
        for j, prob in enumerate(probs):
            q = quantiles[:, j]
            assert np.all(cdf[q, columns] >= prob - 1e-12)
            below = q > 0
            assert np.all(cdf[q[below] - 1, columns[below]] < prob + 1e-12)


def test_quantiles_for_200000_customers_stay_below_the_cap_and_in_order():
    rng = np.random.default_rng(2)
    T = rng.integers(0, 1096, 200_000).astype(float)
    x = np.minimum(rng.poisson(T / 60), T)
    t_x = np.where(x > 0, np.maximum(x, np.floor(T * rng.uniform(size=T.size))), 0.0)
    model = BgNbdParams(r=0.243, alpha=30.9, a=0.793, b=2.426)
    quantiles = purchase_quantiles(model, 365.0, x, t_x, T)  # timed by `make bench` (clv)
    assert quantiles.shape == (200_000, 2) and quantiles.max() < QUANTILE_CAP
    assert np.all(quantiles[:, 0] <= quantiles[:, 1])


def test_quantile_levels_outside_zero_to_one_and_half_a_history_are_value_errors():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        purchase_quantiles(PAPER_BG, 10.0, [1], [2], [3], (0.5, 1.0))
    with pytest.raises(ValueError, match="all of x, t_x and T"):
        purchase_pmf(PAPER_BG, 10.0, 1, x=[2], t_x=[5.0])
