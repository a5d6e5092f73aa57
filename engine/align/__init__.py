"""Territory alignment: contiguous, balanced, compact rep territories on the adjacency graph.

Stages, one module each: :mod:`~engine.align.inputs` (validation), :mod:`~engine.align.distances`
(graph and centre distances), :mod:`~engine.align.model` (the MILP), :mod:`~engine.align.contiguity`
(cuts and flow), :mod:`~engine.align.sp` (shortest-path contiguity, a restriction),
:mod:`~engine.align.hybrid` (SP incumbent + exact bound, the default),
:mod:`~engine.align.heuristic` (start), :mod:`~engine.align.local` (local search),
:mod:`~engine.align.search` (solve loop),
:mod:`~engine.align.districting` (count mode, exact),
:mod:`~engine.align.centres` (count mode, location–allocation),
:mod:`~engine.align.checker` (independent check),
:mod:`~engine.align.explain` (infeasibility), :mod:`~engine.align.api` (``align``),
:mod:`~engine.align.io` (CSV files).
"""

from engine.align.api import UNIT_WEIGHT, Alignment, align
from engine.align.checker import AlignmentCheck, check_alignment
from engine.align.explain import AlignmentInfeasible
from engine.align.inputs import AlignmentInputs, prepare_inputs
from engine.align.model import Objective

__all__ = [
    "UNIT_WEIGHT",
    "Alignment",
    "AlignmentCheck",
    "AlignmentInfeasible",
    "AlignmentInputs",
    "Objective",
    "align",
    "check_alignment",
    "prepare_inputs",
]
