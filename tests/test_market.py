"""The market-attractiveness formulas against values computed by hand."""

import math

import pytest

from cpa.market import MarketModel

Z975, Z95, Z80 = 1.959963984540054, 1.6448536269514722, 0.8416212335729143


def test_two_sample_cohort_for_45_to_43_percent():
    # Pooled two-proportion z-test, alpha 0.05 two-sided, power 0.8, p0 = 0.45, p1 = 0.43, pbar = 0.44.
    by_hand = ((Z975 * math.sqrt(2 * 0.44 * 0.56) + Z80 * math.sqrt(0.45 * 0.55 + 0.43 * 0.57)) / 0.02) ** 2
    assert by_hand == pytest.approx(9668.6, abs=0.1)
    assert MarketModel().required_cohort(2) == pytest.approx(by_hand, rel=1e-12)
    assert MarketModel().value_to_detect(2, 450) == pytest.approx(by_hand * 450 / 108_000, rel=1e-12)  # £40.3m


def test_other_designs():
    one_sided = ((Z95 * math.sqrt(2 * 0.44 * 0.56) + Z80 * math.sqrt(0.45 * 0.55 + 0.43 * 0.57)) / 0.02) ** 2
    baseline = ((Z975 * math.sqrt(0.45 * 0.55) + Z80 * math.sqrt(0.43 * 0.57)) / 0.02) ** 2
    assert MarketModel(pbr_design="one-sided").required_cohort(2) == pytest.approx(one_sided, rel=1e-12)
    assert MarketModel(pbr_design="baseline").required_cohort(2) == pytest.approx(baseline, rel=1e-12)
    assert one_sided == pytest.approx(7616, abs=1) and baseline == pytest.approx(4842, abs=1)


@pytest.mark.parametrize("value_m, approx_pts", [(8.9, 4.24), (79.1, 1.43), (450 / 21, 2.74)])
def test_detectable_change_is_the_inverse_of_the_required_cohort(value_m, approx_pts):
    m = MarketModel()
    mdc = m.detectable_change_of_value(value_m, 450)
    assert mdc == pytest.approx(approx_pts, abs=0.01)
    assert m.required_cohort(mdc) == pytest.approx(m.cohort(value_m, 450), rel=1e-6)
    assert mdc == pytest.approx(12.7 / math.sqrt(value_m), rel=0.01)  # the README's shortcut, roughly


def test_nothing_detectable_in_an_empty_area():
    assert MarketModel().detectable_change(0) == pytest.approx(45.0)


@pytest.mark.parametrize("lam", [0.5, 1.0, 4.0])
def test_thin_risk_is_poisson_at_most_one(lam):
    m = MarketModel()
    value = m.bidders_offset - m.bidders_scale * math.log(1 - lam / m.bidders_max)  # the value with lambda bidders
    assert m.expected_bidders(value) == pytest.approx(lam, rel=1e-12)
    assert m.thin_risk(value) == pytest.approx(math.exp(-lam) * (1 + lam), rel=1e-12)


@pytest.mark.parametrize("value_m, risk", [(4, 0.74), (8.9, 0.37), (12, 0.25), (450 / 21, 0.09), (28, 0.057),
                                           (40, 0.033)])
def test_two_point_calibration_figures(value_m, risk):
    assert MarketModel().thin_risk(value_m) == pytest.approx(risk, abs=0.006)
    assert MarketModel().expected_bidders(450 / 21) == pytest.approx(4.0, abs=0.01)


def test_small_lots():
    m = MarketModel()
    assert m.is_small_lot(12) and not m.is_small_lot(12.01)
    assert m.value_above_small(20) == pytest.approx(8) and m.value_above_small(5) == 0
