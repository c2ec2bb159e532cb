"""GerryChain's ReCom as a yardstick for cpa's plans (bench only: ``pip install gerrychain``).

Starts from a plan (by default today's soft-coterminosity plans in ``bench/baseline/``, written by
``cpa solve --coterminous soft --time-limit 120`` at the commit the engine work started from), runs
ReCom proposals (spanning-tree recombination of two adjacent areas, GerryChain's own
``recom``) for a wall-clock budget, accepting a proposal when cpa's objective does not get worse
(a hill climb; every plan is scored by :mod:`cpa.objective`, the project's own evaluator), and
prints the best objective reached. Usage::

    python bench/recom.py --k 16 --plan bench/baseline/soft16.csv --seconds 120
    python bench/recom.py --k 21 --plan bench/baseline/soft21.csv --seconds 120
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpa import Geography, contract_values, read_plan  # noqa: E402
from cpa.objective import objective_for  # noqa: E402
from cpa.optimise import SolveOptions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--coterminous", default="soft")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epsilon", type=float, default=0.9,
                    help="ReCom's balance tolerance around the mean value (wide: cpa balances softly)")
    args = ap.parse_args()
    from functools import partial

    from gerrychain import Graph, Partition
    from gerrychain.proposals import recom

    geo = Geography.default()
    values = contract_values(geo)
    options = SolveOptions(k=args.k, coterminous=args.coterminous)
    ob = objective_for(geo, values, options)
    plan = read_plan(args.plan, geo)
    import networkx as nx

    nxg = nx.Graph()
    for u in geo.codes:
        nxg.add_node(u, value=float(values.by_unit[u]), code=u)
    nxg.add_edges_from(geo.graph().edges)
    g = Graph.from_networkx(nxg)

    def score(p) -> float:
        areas: dict = {}
        for u, a in p.assignment.items():
            code = p.graph.node_data(u)["code"]
            areas.setdefault(a, []).append(geo.index_of[code])
        return ob.plan_terms(list(areas.values()))["objective"]

    part = Partition(g, dict(plan.assignment))
    rng = random.Random(args.seed)
    propose = partial(recom, pop_col="value", pop_target=values.total / args.k, epsilon=args.epsilon,
                      node_repeats=0, rng=rng)
    start = best = score(part)
    current = start
    t0 = time.perf_counter()
    steps = accepted = 0
    while time.perf_counter() - t0 < args.seconds:
        steps += 1
        try:
            nxt = propose(part)
        except Exception:  # ReCom could not balance this pair within epsilon: draw again
            continue
        s = score(nxt)
        if s <= current + 1e-12:
            part, current = nxt, s
            accepted += 1
            best = min(best, s)
    print(f"recom K={args.k} {args.coterminous}: start {start:.4f} -> best {best:.4f} "
          f"({(start - best) / start:.2%} better) in {args.seconds:g} s, {steps} proposals, {accepted} accepted")


if __name__ == "__main__":
    main()
