"""The typed result of one solve: :class:`SolveReport`, filled in one place; ``run.json`` is its
serialisation (:meth:`SolveReport.to_dict`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..io.serialise import SCHEMA_VERSION


@dataclass
class SolveReport:
    """What a solve did and proved. ``status``: optimal (relative gap <= optimality_tolerance),
    feasible (a valid plan, bound and gap as proven so far), interrupted (stopped by the caller,
    with the best plan, bound and gap so far)."""

    tool: str
    solver: str
    solver_version: str
    options: dict
    input_hash: str
    geography: str
    value_model: str
    formulation: str
    status: str
    proven_optimal: bool
    optimality_tolerance: float
    objective: float | None
    bound: float | None
    gap: float | None
    terms: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    wall_seconds: float = 0.0
    first_plan_seconds: float | None = None
    sizes: dict = field(default_factory=dict)
    lp_bound: float | None = None
    iterations: list = field(default_factory=list)
    incumbent_from: str | None = None
    start: str | None = None
    plan_hash: str | None = None
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict:
        return asdict(self)

    def status_line(self) -> str:
        """One honest line: what the solver proved."""
        t = self.wall_seconds
        if self.status == "optimal":
            return (f"Proven optimal (gap <= {self.optimality_tolerance:g}): objective {self.objective:.4f} "
                    f"(bound {self.bound:.4f}) in {t:.1f} s")
        gap = "unknown (no bound)" if self.gap is None else f"{self.gap:.2%}"
        bound = "none" if self.bound is None else f"{self.bound:.4f}"
        what = "Interrupted" if self.status == "interrupted" else "Feasible"
        return (f"{what}, NOT proven optimal: objective {self.objective:.4f}, best bound {bound}, "
                f"gap {gap}, after {t:.1f} s")
