"""Helpers the browser tests share: fill the intake wizard like a person, run axe-core."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@dataclass(frozen=True)
class Person:
    """One journey's answers, as a person would give them in the wizard."""

    slug: str
    concern: str
    condition: str
    age: int
    sex: str
    severity: str
    health: tuple[str, ...] = ()
    prior: dict[str, str] = field(default_factory=dict)
    budget: tuple[str, str, str] | None = None  # amount, currency, months
    jurisdiction: str = ""
    priorities: dict[str, int] = field(default_factory=dict)


EARLY_BUDGET = Person(
    slug="early-thinning-budget",
    concern="hair",
    condition="androgenetic_alopecia",
    age=28,
    sex="male",
    severity="mild",
    budget=("1500", "USD", "24"),
    jurisdiction="US",
    priorities={"cost": 4, "evidence": 3},
)
BLOOD_THINNERS = Person(
    slug="blood-thinners",
    concern="hair",
    condition="female_pattern_hair_loss",
    age=61,
    sex="female",
    severity="moderate",
    health=("anticoagulant",),
    budget=("2000", "GBP", "24"),
    jurisdiction="GB",
    priorities={"evidence": 4, "fewer_sessions": 2},
)
PREGNANT = Person(
    slug="pregnant",
    concern="hair",
    condition="telogen_effluvium",
    age=31,
    sex="female",
    severity="moderate",
    health=("pregnant_or_breastfeeding",),
)
PRP_NON_RESPONDER = Person(
    slug="prp-non-responder-speed",
    concern="hair",
    condition="androgenetic_alopecia",
    age=42,
    sex="male",
    severity="moderate",
    prior={"prp": "none", "minoxidil": "partial"},
    budget=("8000", "USD", "24"),
    priorities={"speed": 4, "cost": 1},
)
ACNE_SCARS = Person(
    slug="acne-scars",
    concern="skin",
    condition="acne_scars",
    age=24,
    sex="other",
    severity="moderate",
    budget=("2500", "GBP", "12"),
    jurisdiction="GB",
    priorities={"evidence": 4, "avoid_blood_draw": 3},
)
PREGNANT_ACNE_SCARS = Person(
    slug="pregnant-acne-scars",
    concern="skin",
    condition="acne_scars",
    age=30,
    sex="female",
    severity="moderate",
    health=("pregnant_or_breastfeeding",),
    budget=("2500", "EUR", "12"),
    jurisdiction="DE",
    priorities={"evidence": 4, "avoid_blood_draw": 3},
)
UK_60_WRINKLES = Person(
    slug="uk-60-wrinkles",
    concern="skin",
    condition="fine_lines_wrinkles",
    age=60,
    sex="female",
    severity="moderate",
    budget=("3000", "GBP", "12"),
    jurisdiction="GB",
    priorities={"cost": 3, "low_maintenance": 3},
)
# The five people of issue 9, who tried the aid on desktop and at phone width.
FIVE_PEOPLE = (
    replace(EARLY_BUDGET, slug="budget-28"),
    replace(BLOOD_THINNERS, slug="warfarin"),
    replace(PRP_NON_RESPONDER, slug="prp-non-responder"),
    PREGNANT_ACNE_SCARS,
    UK_60_WRINKLES,
)


def fill_intake(page: Page, person: Person) -> None:
    """Go through all six steps with the mouse and keyboard as a sighted user would."""
    page.goto("/intake")
    page.check(f"input[name=concern][value={person.concern}]")
    page.click("button[value=next]")
    page.check(f"input[name=condition][value={person.condition}]")
    page.fill("input[name=age]", str(person.age))
    page.check(f"input[name=sex][value={person.sex}]")
    page.check(f"input[name=severity][value={person.severity}]")
    page.click("button[value=next]")
    for flag in person.health:
        page.check(f"input[name='health.{flag}']")
    page.click("button[value=next]")
    for treatment, response in person.prior.items():
        page.select_option(f"select[name='prior.{treatment}']", response)
    page.click("button[value=next]")
    if person.budget:
        amount, currency, months = person.budget
        page.fill("input[name='budget.amount']", amount)
        page.select_option("select[name='budget.currency']", currency)
        page.fill("input[name='budget.horizon_months']", months)
    if person.jurisdiction:
        page.select_option("select[name=jurisdiction]", person.jurisdiction)
    page.click("button[value=next]")
    for name, value in person.priorities.items():
        page.check(f"input[name='priorities.{name}'][value='{value}']")
    page.click("button[value=finish]")
    page.wait_for_selector("h1:has-text('Your results')")
    page.wait_for_load_state("load")  # the cost chart image has arrived


def axe_violations(page: Page) -> list[dict[str, object]]:
    """Serious and critical axe-core violations on the current page.

    The pages' CSP forbids inline scripts, so axe is injected with Playwright's evaluate
    (which runs through the DevTools protocol, not as a page script).
    """
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
