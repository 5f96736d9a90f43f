"""One test per screening rule in the shipped knowledge base (parametrised over every rule)."""

from __future__ import annotations

from typing import Any

import pytest

from regenaid.decide import assess, parse_intake
from regenaid.decide.screening import SEVERITY_OF_LEVEL
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, Contraindication

KB = load_knowledge()


def _condition_with(treatment: str, rule: Contraindication) -> tuple[str, str]:
    """A (concern, condition) whose options include ``treatment`` and that ``rule`` covers."""
    for concern, conditions in CONDITIONS_BY_CONCERN.items():
        for condition in conditions:
            if treatment in KB.conditions[condition].treatments and rule.applies_to(condition):
                return concern, condition
    raise AssertionError(f"no condition offers {treatment}")


def _intake(flag: str, concern: str, condition: str) -> Any:
    return parse_intake(
        {
            "concern": concern,
            "condition": condition,
            "age": 45,
            "sex": "female",
            "severity": "moderate",
            "health": {flag: True},
        }
    )


def test_every_health_flag_has_a_rule() -> None:
    from regenaid.decide.intake import HEALTH_FLAGS

    assert {r.code for r in KB.contraindications} == set(HEALTH_FLAGS)


@pytest.mark.parametrize(
    "rule",
    KB.contraindications,
    ids=[f"{r.code}-{r.level}-{'+'.join(r.treatments)}" for r in KB.contraindications],
)
def test_rule_applies(rule: Contraindication) -> None:
    for treatment in rule.treatments:
        concern, condition = _condition_with(treatment, rule)
        assessment = assess(_intake(rule.code, concern, condition), KB)
        option = next(o for o in assessment.options if o.treatment == treatment)
        reason = next(
            (r for r in option.reasons if r.code == rule.code and r.level == rule.level), None
        )
        assert reason is not None, f"{rule.code} did not reach {treatment}"
        assert reason.text == rule.text
        assert reason.sources == list(rule.sources)
        assert all(s in KB.sources for s in reason.sources)
        # the option's eligibility is this level or worse, never better
        assert SEVERITY_OF_LEVEL[option.eligibility] >= SEVERITY_OF_LEVEL[rule.level]
        if rule.level in ("contraindicated", "defer"):
            assert option.rank is None and option.score is None
            assert assessment.recommended != treatment
        else:
            assert option.rank is not None
        if rule.level == "defer":
            assert reason.come_back
            assert rule.come_back in option.come_back
            assert any(n.code == f"defer_{rule.code}" for n in assessment.notices)


@pytest.mark.parametrize("flag", sorted({r.code for r in KB.contraindications}))
def test_flag_off_no_reason(flag: str) -> None:
    for concern, conditions in CONDITIONS_BY_CONCERN.items():
        intake = parse_intake(
            {
                "concern": concern,
                "condition": conditions[0],
                "age": 45,
                "sex": "male",
                "severity": "mild",
            }
        )
        for option in assess(intake, KB).options:
            assert all(r.code != flag for r in option.reasons)
            assert option.eligibility == "eligible"


def test_no_treatment_is_never_restricted() -> None:
    assert all("no_treatment" not in r.treatments for r in KB.contraindications)
