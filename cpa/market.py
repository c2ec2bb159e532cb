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
summed MDC, :math:`\sum R`, the value above :math:`A_V`; :mod:`cpa.objective`),
a rule on an area (``pbr_detect``: every area must detect a change of that many
points, i.e. a value floor) or a plan-level row (``small_lots``: at least
:math:`M` small lots; :mod:`cpa.rules`).

The parameters are :class:`cpa.options.MarketParameters` (checked there, once);
:class:`MarketModel` adds the formulas. The minimum detectable change is found
by a safeguarded Newton iteration on :math:`\sqrt{n}\,\delta = h(\delta)` (the
power equation above solved for :math:`\delta`), to machine precision, for one
cohort or an array of them.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from statistics import NormalDist

import numpy as np

from .options import PBR_DESIGNS, MarketParameters

__all__ = ["MarketModel", "PBR_ALPHA", "PBR_DESIGNS", "PBR_POWER", "market_model"]

#: Significance and power of the payment-by-results test (fixed; stated in the docs).
PBR_ALPHA = 0.05
PBR_POWER = 0.8

EDGE = 1e-9  # a change this close to the baseline counts as the baseline itself
NEWTON_DONE = 1e-9  # relative Newton step below which one more step is exact to rounding
_SMALL_ARRAY = 64  # arrays up to this size are solved element by element


class MarketModel(MarketParameters):
    """The three measures (money in £m a year, rates as fractions, changes in percentage points)."""

    # ------------------------------------------------------------ PbR
    def z_values(self) -> tuple[float, float]:
        """The normal quantiles of the test: z_(1-alpha/2) (z_(1-alpha) one-sided) and z_(power)."""
        alpha = PBR_ALPHA if self.pbr_design == "one-sided" else PBR_ALPHA / 2
        return NormalDist().inv_cdf(1 - alpha), NormalDist().inv_cdf(PBR_POWER)

    def cohort(self, value_m, total_m: float):
        """The area's payment-by-results cohort: its value's share of the national cohort."""
        return self.pbr_cohort * np.asarray(value_m, dtype=float) / total_m if np.ndim(value_m) \
            else self.pbr_cohort * float(value_m) / total_m

    def _h(self, d, sqrt):
        """The numerator of the power equation at a fall ``d`` (a fraction): n = (h(d) / d)^2."""
        p0 = self.pbr_baseline
        p1 = p0 - d
        za, zb = self._zs
        if self.pbr_design == "baseline":
            return za * math.sqrt(p0 * (1 - p0)) + zb * sqrt(p1 * (1 - p1))
        pbar = p0 - d / 2
        return za * sqrt(2 * pbar * (1 - pbar)) + zb * sqrt(p0 * (1 - p0) + p1 * (1 - p1))

    def _dh(self, d, sqrt):
        """d h / d d."""
        p0 = self.pbr_baseline
        p1 = p0 - d
        za, zb = self._zs
        if self.pbr_design == "baseline":
            return -zb * (1 - 2 * p1) / (2 * sqrt(p1 * (1 - p1)))
        pbar = p0 - d / 2
        return (-za * (1 - 2 * pbar) / (2 * sqrt(2 * pbar * (1 - pbar)))
                - zb * (1 - 2 * p1) / (2 * sqrt(p0 * (1 - p0) + p1 * (1 - p1))))

    @property
    def _zs(self) -> tuple[float, float]:
        try:
            return self.__dict__["_zs_cache"]
        except KeyError:
            z = self.z_values()
            object.__setattr__(self, "_zs_cache", z)
            return z

    def required_cohort(self, change_pts: float) -> float:
        """Cohort (per group) needed to detect a fall of ``change_pts`` points with the stated power."""
        p0 = self.pbr_baseline
        d = change_pts / 100.0
        if not 0 < d < p0:
            raise ValueError(f"a change of {change_pts} points is outside (0, {p0 * 100:g})")
        return (self._h(d, math.sqrt) / d) ** 2

    def smallest_cohort(self) -> float:
        """Below this cohort not even a fall to zero is detectable."""
        return self.required_cohort(self.pbr_baseline * 100.0 * (1 - EDGE))

    def detectable_change(self, cohort):
        """Minimum detectable change (points) for a cohort (or an array of cohorts): the change whose
        required cohort equals it. A cohort too small to detect even a fall to zero gives the baseline
        itself (nothing is detectable)."""
        if np.ndim(cohort):
            arr = np.asarray(cohort, dtype=float)
            if arr.size <= _SMALL_ARRAY:  # numpy's per-call overhead loses to a loop here
                return np.array([self._mdc_cached(float(x)) for x in arr.ravel()]).reshape(arr.shape)
            return self._mdc_array(arr)
        return self._mdc_cached(float(cohort))

    def _mdc_cached(self, n: float) -> float:
        """:meth:`_mdc_scalar`, remembered: the optimiser asks for the same areas again and again."""
        cache = self.__dict__.get("_mdc_memo")
        if cache is None or len(cache) > 200_000:
            cache = {}
            object.__setattr__(self, "_mdc_memo", cache)
        out = cache.get(n)
        if out is None:
            out = cache[n] = self._mdc_scalar(n)
        return out

    def _mdc_scalar(self, n: float) -> float:
        top = self.pbr_baseline
        if not n > self.smallest_cohort():
            return top * 100.0
        rn = math.sqrt(n)
        lo, hi = 0.0, top * (1 - EDGE)  # F(lo) < 0 < F(hi), F(d) = sqrt(n) d - h(d), increasing
        d = min(self._h(0.0, math.sqrt) / rn, hi)
        for _ in range(200):
            f = rn * d - self._h(d, math.sqrt)
            step = f / (rn - self._dh(d, math.sqrt))
            if abs(step) <= NEWTON_DONE * d:
                d -= step  # quadratic convergence: this last step reaches machine precision
                break
            if f > 0:
                hi = d
            else:
                lo = d
            d = d - step if lo < d - step < hi else (lo + hi) / 2  # bisect when Newton leaves the bracket
        return d * 100.0

    def _mdc_array(self, n: np.ndarray) -> np.ndarray:
        """:meth:`_mdc_scalar` on every element at once (the same steps, so the same results)."""
        top = self.pbr_baseline
        out = np.full(n.shape, top * 100.0)
        ok = n > self.smallest_cohort()
        if not ok.any():
            return out
        rn = np.sqrt(n[ok])
        lo = np.zeros_like(rn)
        hi = np.full_like(rn, top * (1 - EDGE))
        d = np.minimum(self._h(0.0, math.sqrt) / rn, hi)
        active = np.ones(rn.shape, dtype=bool)
        for _ in range(200):
            f = rn * d - self._h(d, np.sqrt)
            step = f / (rn - self._dh(d, np.sqrt))
            done = active & (np.abs(step) <= NEWTON_DONE * d)
            d = np.where(done, d - step, d)
            active &= ~done
            if not active.any():
                break
            hi = np.where(active & (f > 0), d, hi)
            lo = np.where(active & ~(f > 0), d, lo)
            nxt = d - step
            nxt = np.where((nxt > lo) & (nxt < hi), nxt, (lo + hi) / 2)
            d = np.where(active, nxt, d)
        out[ok] = d * 100.0
        return out

    def detectable_change_of_value(self, value_m, total_m: float):
        """MDC (points) of an area of ``value_m`` £m a year (or an array of values)."""
        return self.detectable_change(self.cohort(value_m, total_m))

    def value_to_detect(self, change_pts: float, total_m: float) -> float:
        """The least area value (£m a year) whose cohort detects ``change_pts`` points."""
        return self.required_cohort(change_pts) * total_m / self.pbr_cohort

    # ------------------------------------------------------------ bidders
    def expected_bidders(self, value_m):
        """lambda(A) = N_max (1 - exp(-(A - A0)^+ / kappa))."""
        if not np.ndim(value_m):
            a = max(float(value_m) - self.bidders_offset, 0.0)
            return self.bidders_max * -math.expm1(-a / self.bidders_scale)
        a = np.maximum(np.asarray(value_m, dtype=float) - self.bidders_offset, 0.0)
        return self.bidders_max * -np.expm1(-a / self.bidders_scale)

    def thin_risk(self, value_m):
        """P(at most one bid) with Poisson bids: exp(-lambda) (1 + lambda)."""
        lam = self.expected_bidders(value_m)
        if not np.ndim(value_m):
            return math.exp(-lam) * (1.0 + lam)
        return np.exp(-lam) * (1.0 + lam)

    # ------------------------------------------------------------ small lots
    def is_small_lot(self, value_m):
        """At or below the small-lot value (a hair of tolerance for sums of floats)."""
        return np.asarray(value_m, dtype=float) <= self.small_lot_value_m + 1e-9 if np.ndim(value_m) \
            else float(value_m) <= self.small_lot_value_m + 1e-9

    def value_above_small(self, value_m):
        """£m a year above the small-lot threshold (0 for small lots)."""
        if not np.ndim(value_m):
            return max(float(value_m) - self.small_lot_value_m, 0.0)
        return np.maximum(np.asarray(value_m, dtype=float) - self.small_lot_value_m, 0.0)

    # ------------------------------------------------------------ words
    def describe(self) -> str:
        """One line: the parameters in words (for scorecard notes and reports)."""
        design = {"two-sample": "against a comparison cohort of the same size",
                  "baseline": "against a fixed baseline rate", "one-sided": "one-sided, against a comparison cohort"
                  }[self.pbr_design]
        return (f"Market: payment-by-results cohort {self.pbr_cohort:,.0f} a year shared by value, baseline "
                f"reoffending {self.pbr_baseline:.0%}, test {design} (alpha {PBR_ALPHA:g}, power {PBR_POWER:g}); "
                f"expected bidders {self.bidders_max:g} x (1 - exp(-(A - {self.bidders_offset:g})/{self.bidders_scale:g})), "
                f"thin-competition risk = P(at most one bid), Poisson; small lots at most "
                f"£{self.small_lot_value_m:g}m a year.")


def market_model(parameters: MarketParameters | None = None) -> MarketModel:
    """The model of ``parameters`` (the defaults when None)."""
    if parameters is None:
        return MarketModel()
    if isinstance(parameters, MarketModel):
        return parameters
    return MarketModel(**asdict(parameters))
