"""Property tests: any valid intake gives an assessment that keeps the contract's invariants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny_kb import tiny_kb

from regenaid.decide import Assessment, assess, parse_intake
from regenaid.decide.intake import HEALTH_FLAGS, PRIORITY_NAMES, SCALE_GRADES
from regenaid.errors import InvalidInputError
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, TREATMENT_IDS

JURISDICTIONS = [None, "US", "GB", "DE", "FR", "KR", "JP", "PK", "AE", "AU", "BR", "EU", "NG"]
CURRENCIES = ["USD", "GBP", "EUR", "PKR", "JPY", "AUD", "BRL"]


@st.composite
def intakes(draw: st.DrawFn) -> dict[str, Any]:
    concern = draw(st.sampled_from(sorted(CONDITIONS_BY_CONCERN)))
    data: dict[str, Any] = {
        "concern": concern,
        "condition": draw(st.sampled_from(CONDITIONS_BY_CONCERN[concern])),
        "age": draw(st.integers(18, 120)),
        "sex": draw(st.sampled_from(["female", "male", "other"])),
    }
    use_scale = concern == "hair" and draw(st.booleans())
    if use_scale:
        name = draw(st.sampled_from(sorted(SCALE_GRADES)))
        data["scale"] = {"name": name, "grade": draw(st.sampled_from(SCALE_GRADES[name]))}
    if not use_scale or draw(st.booleans()):
        data["severity"] = draw(st.sampled_from(["mild", "moderate", "advanced"]))
    if draw(st.booleans()):
        data["duration_months"] = draw(st.integers(0, 1200))
    data["prior_treatments"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "treatment": st.sampled_from(
                        ["prp", "exosome", "minoxidil", "finasteride", "microneedling", "other"]
                    ),
                    "response": st.sampled_from(["none", "partial", "good", "unknown"]),
                }
            ),
            max_size=3,
        )
    )
    data["health"] = draw(st.fixed_dictionaries({f: st.booleans() for f in HEALTH_FLAGS}))
    data["priorities"] = draw(st.fixed_dictionaries({p: st.integers(0, 4) for p in PRIORITY_NAMES}))
    if draw(st.booleans()):
        data["budget"] = {
            "amount": draw(st.floats(1, 1e6, allow_nan=False, allow_infinity=False)),
            "currency": draw(st.sampled_from(CURRENCIES)),
            "horizon_months": draw(st.integers(1, 240)),
        }
    jurisdiction = draw(st.sampled_from(JURISDICTIONS))
    if jurisdiction is not None:
        data["jurisdiction"] = jurisdiction
    return data


def check_invariants(a: Assessment, kb: KnowledgeBase, condition: str) -> None:
    doc = a.model_dump(mode="json")
    assert doc["contract"] == "regenaid.assessment/1"
    assert set(doc) >= {"contract", "options", "recommended", "notices"}
    listed = [o["treatment"] for o in doc["options"]]
    assert sorted(listed, key=TREATMENT_IDS.index) == listed  # stable order
    assert set(listed) == set(kb.conditions[condition].treatments)
    ranks = []
    for o in doc["options"]:
        assert set(o) >= {
            "treatment",
            "eligibility",
            "reasons",
            "score",
            "rank",
            "why",
            "certainty",
            "plan",
            "cost",
        }
        assert o["certainty"] in ("high", "moderate", "low", "very_low")
        if o["eligibility"] in ("contraindicated", "defer"):
            assert o["rank"] is None and o["score"] is None
            assert o["treatment"] != doc["recommended"]
            assert o["reasons"], "an option that is not open must say why"
        else:
            assert o["rank"] is not None
            assert 0.0 <= o["score"] <= 1.0
            ranks.append(o["rank"])
        if o["eligibility"] == "defer":
            assert any(r["come_back"] for r in o["reasons"] if r["level"] == "defer")
        for r in o["reasons"]:
            assert r["code"] and r["text"]
    assert sorted(ranks) == list(range(1, len(ranks) + 1))
    if ranks:
        best = next(o for o in doc["options"] if o["rank"] == 1)
        assert doc["recommended"] == best["treatment"]
        assert best["score"] == max(o["score"] for o in doc["options"] if o["score"] is not None)
    else:
        assert doc["recommended"] is None
    assert doc["notices"][0]["code"] == "decision_aid"


def check_reasons_match_rules(
    a: Assessment, kb: KnowledgeBase, flags_on: set[str], sex: str, age: int
) -> None:
    """Each option's reasons are exactly the rules that are switched on (their flag is on, or
    they have no flag and select people by sex or age), that name it and cover this person
    (condition, sex, age); for usual care only the rules about parts this person is offered
    (care tags at their severity and sex), each at its own level or lowered to caution."""
    first_line = kb.first_line.get(a.condition)
    rank = {"eligible": 0, "caution": 1, "defer": 2, "contraindicated": 3}
    if "pregnant_or_breastfeeding" in flags_on:  # no birth-control advice in pregnancy
        flags_on = flags_on - {"could_become_pregnant"}
    for o in a.options:
        expected: dict[str, set[str]] = {}
        for r in kb.contraindications:
            switched_on = r.code in flags_on or r.code not in HEALTH_FLAGS
            covers = (
                r.applies_to(a.condition)
                and (not r.sexes or sex in r.sexes)
                and (r.min_age is None or age >= r.min_age)
                and (r.max_age is None or age <= r.max_age)
            )
            if not (switched_on and covers and o.treatment in r.treatments):
                continue
            offered = first_line.tags(a.severity, sex) if first_line is not None else None
            about_other_parts = offered is not None and not set(r.care) & offered
            if o.treatment == "conventional" and r.care and about_other_parts:
                continue
            expected.setdefault(r.code, set()).add(r.level)
        if o.regulatory is not None and o.regulatory.status == "route_prohibited":
            # not permitted, as clinics give it, where the person lives (e.g. KR exosomes)
            expected["not_permitted_here"] = {"contraindicated"}
        assert {r.code for r in o.reasons} == set(expected)
        for reason in o.reasons:
            if o.treatment == "conventional":
                assert rank[reason.level] <= max(rank[lv] for lv in expected[reason.code])
            else:
                assert reason.level in expected[reason.code]


KBS = {"shipped": load_knowledge, "tiny": tiny_kb}


def clear_all_caches() -> None:
    """Empty every cache in decide and the cost model (not the kb loaders): functools caches
    and the byte-bounded ones (both have ``cache_clear``)."""
    import sys

    for name, module in list(sys.modules.items()):
        if not name.startswith(("regenaid.decide", "regenaid.economics")) or module is None:
            continue
        for obj in vars(module).values():
            if (
                callable(obj)
                and hasattr(obj, "cache_clear")
                and getattr(obj, "__module__", None) == name
            ):
                obj.cache_clear()


@pytest.mark.parametrize("which", ["shipped", "tiny"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=intakes())
def test_any_valid_intake_meets_the_contract(which: str, data: dict[str, Any]) -> None:
    kb = KBS[which]()
    if data["condition"] not in kb.conditions:  # the tiny base has one condition per concern
        data = {
            **data,
            "condition": next(
                c for c in kb.conditions if kb.conditions[c].concern == data["concern"]
            ),
        }
    intake = parse_intake(data)
    first = assess(intake, kb)
    check_invariants(first, kb, data["condition"])
    flags = {f for f, on in data["health"].items() if on}
    check_reasons_match_rules(first, kb, flags, data["sex"], data["age"])
    # deterministic: a fresh parse and a cold assessment (every cache emptied) give identical JSON
    clear_all_caches()
    again = assess(parse_intake(data), kb)
    assert first.model_dump_json() == again.model_dump_json()


# --- invalid intakes: the error names the field that was broken -------------------------------

WRONG_VALUES: dict[str, list[object]] = {
    "concern": ["nails", 3, None],
    "condition": ["baldness", 7],
    "age": [17, 121, "40", 40.5, True],
    "sex": ["m", 1],
    "severity": ["severe", 2],
    "duration_months": [-1, 1201, "12"],
    "jurisdiction": ["XX", "usa", 44],
}


@settings(max_examples=200, deadline=None)
@given(data=intakes(), choice=st.data())
def test_breaking_one_field_names_that_field(data: dict[str, Any], choice: st.DataObject) -> None:
    kind = choice.draw(st.sampled_from(["top", "health", "priorities", "unknown_key"]))
    broken = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    if kind == "top":
        field = choice.draw(st.sampled_from(sorted(WRONG_VALUES)))
        if field == "severity" and "scale" in broken:
            broken.pop("scale")
        broken[field] = choice.draw(st.sampled_from(WRONG_VALUES[field]))
        expected = field
    elif kind == "health":
        flag = choice.draw(st.sampled_from(HEALTH_FLAGS))
        broken["health"][flag] = choice.draw(st.sampled_from(["yes", 1, None, "true"]))
        expected = f"health.{flag}"
    elif kind == "priorities":
        name = choice.draw(st.sampled_from(PRIORITY_NAMES))
        broken["priorities"][name] = choice.draw(st.sampled_from([-1, 5, 2.5, "high", True]))
        expected = f"priorities.{name}"
    else:
        key = choice.draw(st.sampled_from(["notes", "email", "Concern"]))
        broken[key] = "x"
        expected = key
    with pytest.raises(InvalidInputError) as info:
        parse_intake(broken)
    assert info.value.field == expected, str(info.value)
