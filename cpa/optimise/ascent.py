r"""Starting duals for the Lagrangian bound: subgradient ascent on its cheap relaxation.

The engine's bound :math:`L(\pi)` (:meth:`.engine.Engine.lagrangian_bound`) needs every hub's least
reduced cost; exact rounds (hub LPs and MIPs) take a minute at a thousand blocks, so the box steps
that move the duals get a handful of rounds. Its *cheap* relaxation replaces each hub's pricing
problem by the knapsack bound of :meth:`.pricing.Pricer.knapsack_bounds` (connectivity dropped,
the value cost by its convex envelope :math:`\check g`, blocks taken fractionally):

.. math::

    \tilde L(\pi) = \sum_b \pi_b + \text{offset} + \sum_{K\text{ smallest}}
    \min_{h:\beta(h)=b}\Big(\text{const}_h(\pi) + \min_{x\in[0,1]^n}\sum_b a_{hb}(\pi)x_b
    + \check g\big(v_{\beta(h)} + \textstyle\sum_b v_b x_b\big)\Big) \le L(\pi).

It is concave and piecewise linear in :math:`\pi`, with the subgradient
:math:`1 - \sum_{h\text{ chosen}} x^h` (:math:`x^h` the knapsack's solution, the hub's own block
counted as taken), and one evaluation is a sort, so hundreds of steps cost what one exact round
does. Its maximum is the LP bound of a compact model without connectivity; the subgradient
method (Polyak steps towards the incumbent's objective, the step factor halved after
:data:`STALL` steps without a better value, Held and Karp 1971) gets near it, and its best duals
start the engine's box steps, which then spend their exact rounds near good duals.

**Sparse evaluation.** With :math:`s` the steepest descent of :math:`\check g` (what one unit of
value can save at most), hub h takes block b in the knapsack's optimum only if
:math:`a_{hb} < s\,v_b` (blocks of no value: only if :math:`a_{hb} < 0`). Since :math:`a_{hb} \ge
c_{bh} - \pi_b` (the split term's share is never negative), b's candidate hubs are those with
:math:`c_{bh} < \pi_b + s v_b`: a prefix of its hubs in order of travel cost. Each block keeps its
:data:`NEAREST_HUBS` nearest; where a prefix is longer the function evaluated here is only close
to :math:`\tilde L` (:attr:`CheapAscent.exact` is False). Either way only the duals are used: the
engine evaluates its bound in full, so it is valid whatever they are.
"""

from __future__ import annotations

import time

import numpy as np

#: Each block keeps this many nearest hubs (at least; more when areas are large: see CheapAscent).
NEAREST_HUBS = 60
#: Halve the step factor after this many steps without a better value (from the best duals).
STALL = 15
#: Stop when the step factor falls below this.
MIN_FACTOR = 1e-4


class CheapAscent:
    """:math:`\\tilde L` (see the module docstring) for one request; :meth:`run` maximises it."""

    def __init__(self, pricer, k: int, k_smallest, offset: float):
        ac = pricer.ac
        self.pricer, self.k, self.k_smallest, self.offset = pricer, k, k_smallest, float(offset)
        self.n, self.H = ac.n, pricer.H
        self.value = np.asarray(ac.value, dtype=float)
        hb = np.asarray(pricer.hub_block, dtype=int)
        self.hub_block = hb
        self.A0 = self.value[hb]
        self.room = np.full(self.H, np.inf) if ac.cap is None else np.maximum(float(ac.cap) - self.A0, 0.0)
        # hubs per block in order of travel cost, the block's own hubs left out (in the area already)
        cost = np.array(ac.cost, dtype=float)  # n x H
        cost[hb, np.arange(self.H)] = np.inf
        m = int(min(self.H, max(NEAREST_HUBS, 6 * self.n // max(k, 1))))
        near = np.argpartition(cost, m - 1, axis=1)[:, :m] if m < self.H else np.tile(np.arange(self.H), (self.n, 1))
        rows = np.arange(self.n)[:, None]
        near = np.take_along_axis(near, np.argsort(cost[rows, near], axis=1, kind="stable"), axis=1)
        self.near = near  # n x m hub indices
        self.near_cost = cost[rows, near]  # increasing along each row (inf: the block's own hubs)
        # fixed part of a[h, b] beyond c_bh: the split term's share of the PFAs not the hub's
        split = np.zeros(near.shape)
        if ac.ws:
            share = pricer.split_share  # n x P
            hub_pfas = np.zeros((self.H, share.shape[1]), dtype=bool)
            for h in range(self.H):
                hub_pfas[h, list(ac.block_pfas[hb[h]])] = True
            for b in range(self.n):
                ps = np.nonzero(share[b])[0]
                if len(ps):
                    split[b] = ac.ws * (share[b, ps].sum() - (hub_pfas[near[b]][:, ps] * share[b, ps]).sum(axis=1))
        self.split = split
        self.const0 = np.asarray(ac.cost[hb, np.arange(self.H)], dtype=float) + ac.ws * pricer.n_pfas_block[hb]
        self.kinks = np.array(pricer.g_kinks(), dtype=float)
        slopes = [min(0.0, float(min(s for s, _ in lines))) for lines in pricer.lines_by_term if lines]
        self.steepest = -float(sum(slopes))  # s >= 0
        self.g = pricer.g_lower
        self.exact = True
        self.scale = max(float(np.abs(self.value).sum()), 1.0) * 4.0  # separates hubs' cumulative values

    def evaluate(self, pi: np.ndarray) -> tuple[float, np.ndarray]:
        """(:math:`\\tilde L(\\pi)`, a subgradient)."""
        n, H, v = self.n, self.H, self.value
        thr = pi + self.steepest * np.maximum(v, 0.0)
        cand = self.near_cost < thr[:, None]
        self.exact = not bool(cand[:, -1].any()) or self.near.shape[1] == H
        bs, js = np.nonzero(cand)
        hs = self.near[bs, js]
        a = self.near_cost[bs, js] + self.split[bs, js] - pi[bs]
        # blocks of no value: taken when they pay
        free = v[bs] <= 0
        base = np.zeros(H)
        paid = free & (a < 0)
        np.add.at(base, hs[paid], a[paid])
        free_h, free_b = hs[paid], bs[paid]
        keep = ~free & (v[bs] <= self.room[hs] + 1e-3)
        bs, hs, a = bs[keep], hs[keep], a[keep]
        ratio = a / v[bs]
        order = np.lexsort((bs, ratio, hs))
        bs, hs, a = bs[order], hs[order], a[order]
        vs = v[bs]
        starts = np.searchsorted(hs, np.arange(H))
        ends = np.searchsorted(hs, np.arange(H), side="right")
        cc, cv = np.cumsum(a), np.cumsum(vs)
        before_c = np.where(starts > 0, cc[np.maximum(starts - 1, 0)], 0.0)
        before_v = np.where(starts > 0, cv[np.maximum(starts - 1, 0)], 0.0)
        cumc = cc - before_c[hs]  # per hub, prefix sums in ratio order
        cumv = cv - before_v[hs]
        # the knapsack's value: least over prefixes (and over the kinks of g, inside an item)
        best = base + self.g(self.A0)  # nothing taken
        cut = np.full(H, -1)  # last item wholly taken (index into the sorted pairs), -1 none
        frac_at, frac_x = np.full(H, -1), np.zeros(H)
        vals = base[hs] + cumc + self.g(self.A0[hs] + cumv)
        vals = np.where(cumv <= self.room[hs] + 1e-9, vals, np.inf)
        if len(vals):
            pos = np.arange(len(vals))
            seg_min = np.full(H, np.inf)
            np.minimum.at(seg_min, hs, vals)
            better = seg_min < best
            # first position of each hub's minimum
            at_min = vals <= seg_min[hs]
            first = np.full(H, len(vals))
            np.minimum.at(first, hs[at_min], pos[at_min])
            cut = np.where(better, first, -1)
            best = np.minimum(best, seg_min)
            total_v = np.where(ends > starts, cumv[np.maximum(ends - 1, 0)], 0.0)
            key = cumv + hs * self.scale
            for kink in self.kinks:
                t = kink - self.A0
                ok = (t > 0) & (t <= np.minimum(total_v, self.room)) & (ends > starts)
                if not ok.any():
                    continue
                i = np.searchsorted(key, np.arange(H) * self.scale + t, side="left")  # first cumv >= t
                i = np.clip(i, starts, np.maximum(ends - 1, starts))
                prev_c = np.where(i > starts, cumc[np.maximum(i - 1, 0)], 0.0)
                prev_v = np.where(i > starts, cumv[np.maximum(i - 1, 0)], 0.0)
                step_v = vs[np.minimum(i, len(vs) - 1)]
                f = np.clip((t - prev_v) / np.where(step_v > 0, step_v, 1.0), 0.0, 1.0)
                val = base + prev_c + f * a[np.minimum(i, len(a) - 1)] + self.g(self.A0 + t)
                better = ok & (val < best - 1e-12)
                best = np.where(better, val, best)
                cut = np.where(better, i - 1, cut)
                cut = np.where(better & (i == starts), -1, cut)
                frac_at = np.where(better, i, frac_at)
                frac_x = np.where(better, f, frac_x)
        lb = self.const0 - pi[self.hub_block] + best
        chosen = self.k_smallest(lb)
        value = float(pi.sum()) + self.offset + float(lb[chosen].sum())
        sub = np.ones(n)
        for h in chosen.tolist():
            sub[self.hub_block[h]] -= 1.0
            if cut[h] >= starts[h]:
                sub[bs[starts[h]:cut[h] + 1]] -= 1.0
            if frac_at[h] >= 0 and frac_x[h] > 0:
                sub[bs[frac_at[h]]] -= frac_x[h]
        if len(free_h):  # blocks of no value taken for their negative cost
            sub -= np.bincount(free_b[np.isin(free_h, chosen)], minlength=n)
        return value, sub

    def run(self, pi: np.ndarray, target: float, until: float, stop=None) -> tuple[np.ndarray, float, int]:
        """Maximise from ``pi`` towards ``target`` (the incumbent's objective) until ``until`` or the
        step factor is spent: (best duals, their value, steps)."""
        best_pi, best, factor, since, steps = pi.copy(), -np.inf, 1.0, 0, 0
        while time.perf_counter() < until and factor >= MIN_FACTOR and not (stop is not None and stop.is_set()):
            value, sub = self.evaluate(pi)
            steps += 1
            if value > best + 1e-9 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
                best, best_pi, since = value, pi.copy(), 0
            else:
                since += 1
                if since >= STALL:
                    factor, since, pi = factor / 2.0, 0, best_pi.copy()
                    continue
            norm = float(sub @ sub)
            if norm <= 1e-12:
                break  # every block covered once by the chosen hubs' knapsacks: the maximum
            pi = pi + factor * max(target - value, 1e-9 * max(1.0, abs(target))) / norm * sub
        return best_pi, best, steps
