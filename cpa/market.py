r"""Market attractiveness: three per-area measures of a contract of value :math:`A` (£m a year).

The evidence, figures and sources are gathered in the README ("Market
attractiveness") and in ``../shared/MARKET.md``. With :math:`V` the national
total (£m a year):

1. **Can payment by results be measured here?** The area's payment-by-results
   cohort is its share of the national cohort :math:`N` (default 108,000, the
   first year of the 2014 scheme): :math:`n = N A / V` (about 240 offenders per
   £m a year at £450m; with a caseload table the values are shares of caseload,
   so the cohort is shared in proportion to caseload). The **minimum detectable
   change** (MDC) in the one-year binary reoffending rate, in percentage points,
   is the :math:`\delta` at which a test with the cohort has the stated power:

   * ``two-sample`` (default): the pooled two-proportion z-test, comparing the
     cohort (rate :math:`p_1 = p - \delta`) with a comparison cohort of the
     same size at the baseline rate :math:`p`:
     :math:`n = \big(z_{1-\alpha/2}\sqrt{2\bar p\bar q} + z_{1-\beta}\sqrt{p_0q_0 + p_1q_1}\big)^2/\delta^2`,
     :math:`\bar p = (p_0+p_1)/2`;
   * ``one-sided``: the same with :math:`z_{1-\alpha}`;
   * ``baseline``: against a fixed, known baseline rate (one-sample):
     :math:`n = \big(z_{1-\alpha/2}\sqrt{p_0q_0} + z_{1-\beta}\sqrt{p_1q_1}\big)^2/\delta^2`.

   Defaults: :math:`p = 0.45`, :math:`\alpha = 0.05`, power :math:`1-\beta = 0.8`.
   They give about :math:`12.7/\sqrt{A}` points two-sample; detecting a 2-point
   fall (the size the 2014 scheme reported) needs :math:`n \approx 9{,}700`
   (:math:`A \ge` £40m) two-sample, :math:`n \approx 4{,}800` (£20m) against a
   fixed baseline. Quarterly cohorts need four times as much.

2. **Will the market bid?** Expected bidders
   :math:`\lambda(A) = N_{max}\,(1 - e^{-(A - A_0)^+/\kappa})` and the risk of
   thin competition, bids being Poisson, :math:`R(A) = P(\text{at most one bid})
   = e^{-\lambda}(1+\lambda)`. Defaults :math:`N_{max} = 6`, :math:`\kappa = 19`,
   :math:`A_0 = 0.54`: a **two-point calibration** (four bidders per area on
   average at £450m/21 in 2014; about one bidder for a small Trust at £4m);
   :math:`N_{max} = 6` is a choice near the EU average of 5.7 bidders per
   procedure in 2011. :math:`\sum R` over a plan is the expected number of lots
   with at most one bid.

3. **Can smaller providers lead?** Areas at or below :math:`A_V` (default
   £12m a year, the size of the one 2014 area not won by a private company) are
   *small lots* that smaller and voluntary-sector primes can lead.

In the optimiser each enters as a per-area cost (a function of :math:`A`: the
summed MDC, :math:`\sum R`, the value above :math:`A_V`), a rule on an area
(``pbr_detect``: every area must detect a change of that many points, i.e. a
value floor) or a plan-level row (``small_lots``: at least :math:`M` small
lots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

PBR_DESIGNS = ("two-sample", "baseline", "one-sided")

#: Significance and power of the payment-by-results test (fixed; stated in the docs).
PBR_ALPHA = 0.05
PBR_POWER = 0.8


@dataclass(frozen=True)
class MarketModel:
    """The parameters of the three measures (money in £m a year, rates as fractions, changes in points)."""

    pbr_cohort: float = 108_000.0
    pbr_baseline: float = 0.45
    pbr_design: str = "two-sample"
    bidders_max: float = 6.0
    bidders_scale: float = 19.0
    bidders_offset: float = 0.54
    small_lot_value: float = 12.0

    # ------------------------------------------------------------ PbR
    def _z(self) -> tuple[float, float]:
        alpha = PBR_ALPHA if self.pbr_design == "one-sided" else PBR_ALPHA / 2
        return NormalDist().inv_cdf(1 - alpha), NormalDist().inv_cdf(PBR_POWER)

    def cohort(self, value_m, total_m: float):
        """The area's payment-by-results cohort: its value's share of the national cohort."""
        return self.pbr_cohort * np.asarray(value_m, dtype=float) / total_m if np.ndim(value_m) \
            else self.pbr_cohort * float(value_m) / total_m

    def required_cohort(self, change_pts: float) -> float:
        """Cohort (per group) needed to detect a fall of ``change_pts`` points with the stated power."""
        p0 = self.pbr_baseline
        d = change_pts / 100.0
        if not 0 < d < p0:
            raise ValueError(f"a change of {change_pts} points is outside (0, {p0 * 100:g})")
        p1 = p0 - d
        za, zb = self._z()
        if self.pbr_design == "baseline":
            num = za * math.sqrt(p0 * (1 - p0)) + zb * math.sqrt(p1 * (1 - p1))
        else:
            pbar = (p0 + p1) / 2
            num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
        return (num / d) ** 2

    def detectable_change(self, cohort: float) -> float:
        """Minimum detectable change (points) for a cohort of ``cohort`` offenders: the change whose
        required cohort equals it (bisection; the required cohort falls as the change grows). A cohort
        too small to detect even a fall to zero gives the baseline itself (nothing is detectable)."""
        top = self.pbr_baseline * 100.0
        if cohort <= 0 or self.required_cohort(top * (1 - 1e-9)) > cohort:
            return top
        lo, hi = 1e-9, top * (1 - 1e-9)
        for _ in range(100):
            mid = (lo + hi) / 2
            if self.required_cohort(mid) > cohort:
                lo = mid
            else:
                hi = mid
        return hi

    def detectable_change_of_value(self, value_m, total_m: float):
        """MDC (points) of an area of ``value_m`` £m a year."""
        if np.ndim(value_m):
            return np.array([self.detectable_change(self.cohort(v, total_m)) for v in np.ravel(value_m)]
                            ).reshape(np.shape(value_m))
        return self.detectable_change(self.cohort(value_m, total_m))

    def value_to_detect(self, change_pts: float, total_m: float) -> float:
        """The least area value (£m a year) whose cohort detects ``change_pts`` points."""
        return self.required_cohort(change_pts) * total_m / self.pbr_cohort

    # ------------------------------------------------------------ bidders
    def expected_bidders(self, value_m):
        a = np.maximum(np.asarray(value_m, dtype=float) - self.bidders_offset, 0.0)
        lam = self.bidders_max * (1.0 - np.exp(-a / self.bidders_scale))
        return lam if np.ndim(value_m) else float(lam)

    def thin_risk(self, value_m):
        """P(at most one bid) with Poisson bids: exp(-lambda) (1 + lambda)."""
        lam = self.expected_bidders(value_m)
        r = np.exp(-np.asarray(lam)) * (1.0 + np.asarray(lam))
        return r if np.ndim(value_m) else float(r)

    # ------------------------------------------------------------ small lots
    def is_small_lot(self, value_m):
        return np.asarray(value_m, dtype=float) <= self.small_lot_value + 1e-9 if np.ndim(value_m) \
            else float(value_m) <= self.small_lot_value + 1e-9

    def value_above_small(self, value_m):
        """£m a year above the small-lot threshold (0 for small lots)."""
        out = np.maximum(np.asarray(value_m, dtype=float) - self.small_lot_value, 0.0)
        return out if np.ndim(value_m) else float(out)
