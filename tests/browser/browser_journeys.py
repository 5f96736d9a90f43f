"""Helpers the browser tests share: fill the intake wizard like a person, run axe-core."""

from __future__ import annotations

from dataclasses import dataclass, field
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
