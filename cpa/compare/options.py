"""An option to compare: an existing plan, or a solve.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import CpaError
from ..options import SolveOptions


@dataclass(frozen=True)
class Option:
    """One option to compare: an existing plan (``plan``) or a solve (``solve``), never both."""

    name: str
    plan: str | None = None
    solve: SolveOptions | None = None
    #: a names file (CSV ``area,name``) renaming the plan's areas
    names: str | None = None

    def __post_init__(self):
        if not str(self.name).strip():
            raise CpaError("an option needs a name", "e.g. name = \"K=16\"")
        if (self.plan is None) == (self.solve is None):
            raise CpaError(f"option {self.name!r} must be either a plan (reference or file) or a solve, not "
                           f"{'both' if self.plan is not None else 'neither'}")
        if self.names is not None and self.plan is None:
            raise CpaError(f"option {self.name!r}: a names file renames an existing plan's areas",
                           "a solve names its areas from its --lock labels and the naming rule")

    @property
    def kind(self) -> str:
        return "reference" if self.plan is not None else "solved"

    @classmethod
    def reference(cls, plan: str | os.PathLike, name: str | None = None,
                  names: str | os.PathLike | None = None) -> "Option":
        """An existing plan: a reference name (``crc21``) or a plan file; named after it by default.
        ``names`` is a CSV ``area,name`` renaming its areas."""
        text = str(plan)
        return cls(name or (Path(text).stem if Path(text).suffix else text), plan=text,
                   names=None if names is None else str(names))

    @classmethod
    def solved(cls, options: SolveOptions | int, name: str | None = None, **kw) -> "Option":
        """A solve: ``SolveOptions`` or K plus SolveOptions fields (``Option.solved(16, time_limit=60)``)."""
        if not isinstance(options, SolveOptions):
            options = SolveOptions(k=int(options), **kw)
        elif kw:
            options = replace(options, **kw)
        return cls(name or f"K={options.k}", solve=options)
