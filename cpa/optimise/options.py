"""What a commissioner asks for: the options of one solve."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

COTERMINOUS_MODES = ("strict", "soft", "off")


@dataclass(frozen=True)
class Weights:
    """Objective weights. The objective is

    ``travel * T + balance * B + split * F``

    with T the value-weighted mean km from each LAD to its area's hub, B the
    sum over areas of |value - mean| as a percentage of the national total, and
    F the number of extra PFA fragments (soft coterminosity only). With the
    defaults one km of mean travel costs the same as one percentage point of
    value away from the mean, and each PFA fragment costs 5 km of mean travel.
    """

    travel: float = 1.0
    balance: float = 1.0
    split: float = 5.0


@dataclass(frozen=True)
class SolveOptions:
    """Options of a solve. Money in £ a year, shares as fractions (0.25)."""

    k: int
    coterminous: str = "strict"
    min_value: float | None = None
    max_value: float | None = None
    max_share: float | None = None
    max_pfas: int | None = None
    keep_whole: tuple[str, ...] = ()
    locks: tuple[tuple[str, str], ...] = ()
    start: str | None = None
    weights: Weights = field(default_factory=Weights)
    solver: str = "highs"
    time_limit: float = 120.0
    gap: float | None = None
    seed: int = 0
    threads: int | None = None
    max_rounds: int = 50

    def to_dict(self) -> dict:
        d = asdict(self)
        d["keep_whole"] = list(self.keep_whole)
        d["locks"] = [list(x) for x in self.locks]
        return d
