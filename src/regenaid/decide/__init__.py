"""Decide: intake -> screening -> values-weighted ranking -> explanation (pure core).

Public API::

    from regenaid.decide import parse_intake, Intake, assess, Assessment, build_grid, OptionGrid
"""

from __future__ import annotations

from regenaid.decide.assessment import assess
from regenaid.decide.grid import OptionGrid, build_grid
from regenaid.decide.intake import Intake, load_intake_text, parse_intake
from regenaid.decide.results import Assessment, OptionAssessment

__all__ = [
    "Assessment",
    "Intake",
    "OptionAssessment",
    "OptionGrid",
    "assess",
    "build_grid",
    "load_intake_text",
    "parse_intake",
]
