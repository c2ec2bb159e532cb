"""A coarse block structure for LAD-level (soft / off) requests, used only for incumbents.

PFAs stay whole except those worth more than ``SPLIT_ABOVE`` x the mean area
value, which are cut into contiguous pieces of about ``PIECE`` x the mean (so
London can be shared between areas). Solving on these blocks is a
*restriction* of the LAD-level problem: it gives good contiguous plans, never
a bound.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from .blocks import Blocks

SPLIT_ABOVE = 0.75
PIECE = 0.5


def _pieces(graph: nx.Graph, nodes: list[int], value: np.ndarray, count: int) -> list[set[int]]:
    """Cut connected ``nodes`` into ``count`` connected pieces: repeatedly merge the adjacent pair
    with the least combined value (ties by index)."""
    parts = {b: {b} for b in nodes}
    owner = {b: b for b in nodes}
    val = {b: float(value[b]) for b in nodes}
    sub = graph.subgraph(nodes)
    while len(parts) > count:
        best = None
        for a, c in sorted(sub.edges):
            i, j = owner[a], owner[c]
            if i == j:
                continue
            key = (val[i] + val[j], min(i, j), max(i, j))
            if best is None or key < best:
                best = key
        if best is None:
            break
        _, i, j = best
        parts[i] |= parts.pop(j)
        val[i] += val.pop(j)
        for b in parts[i]:
            owner[b] = i
    return [parts[i] for i in sorted(parts)]


def sketch_blocks(blocks: Blocks, mean: float, split_above: float = SPLIT_ABOVE,
                  piece: float = PIECE) -> tuple[Blocks, list[list[int]]]:
    """Coarse blocks over LAD-level ``blocks``, and for each coarse block its fine blocks."""
    by_pfa: dict[str, list[int]] = {}
    alone: list[list[int]] = []
    for b in range(blocks.n):
        if len(blocks.pfas[b]) == 1 and blocks.lock[b] is None:
            by_pfa.setdefault(next(iter(blocks.pfas[b])), []).append(b)
        else:
            alone.append([b])
    groups: list[list[int]] = list(alone)
    for p in sorted(by_pfa):
        fine = by_pfa[p]
        comps = [sorted(c) for c in nx.connected_components(blocks.graph.subgraph(fine))]
        for comp in sorted(comps):
            v = float(blocks.value[comp].sum())
            count = 1 if v <= split_above * mean else min(len(comp), math.ceil(v / (piece * mean)))
            groups += [sorted(s) for s in _pieces(blocks.graph, comp, blocks.value, count)]
    groups.sort(key=lambda g: g[0])
    coarse_of = {b: i for i, g in enumerate(groups) for b in g}
    graph = nx.Graph()
    graph.add_nodes_from(range(len(groups)))
    for a, c in blocks.graph.edges:
        if coarse_of[a] != coarse_of[c]:
            graph.add_edge(coarse_of[a], coarse_of[c])
    members = [sorted(u for b in g for u in blocks.members[b]) for g in groups]
    coarse = Blocks(members=members,
                    names=[blocks.names[g[0]] + (f" + {len(g) - 1}" if len(g) > 1 else "") for g in groups],
                    value=np.array([blocks.value[g].sum() for g in groups], dtype=float),
                    pfas=[frozenset().union(*(blocks.pfas[b] for b in g)) for g in groups],
                    lock=[blocks.lock[g[0]] for g in groups], graph=graph,
                    why_merged=["sketch" for _ in groups])
    return coarse, groups
