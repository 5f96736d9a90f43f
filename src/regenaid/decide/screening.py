"""Screening: which options are open to this person now, and why not.

Every :class:`~regenaid.knowledge.model.Contraindication` rule in the knowledge base is applied:
when the intake's ``health.<code>`` flag is true, each treatment the rule names gets the rule's
level. Levels combine as "worst wins": contraindicated > defer > caution > eligible. A deferred
option carries the rule's ``come_back`` text (when to return).

A rule covers a person only where its optional limits allow: ``conditions`` (the intake's
condition), ``sexes``, ``min_age`` and ``max_age``. A rule whose ``code`` is not a CONTRACT §1
health flag (a caution about finasteride and PSA tests for men from 50, about fillers under 22)
needs no flag: it applies to everyone its limits select.

A rule for conventional care that names ``care`` tags is about parts of usual care: it
applies only where the person's usual care (the condition's first-line care at their
severity) has a part with one of those tags, and its reason names those parts ("This
concerns: ..."). Usual care is a bundle: as long as it can still start with a first-line part
that no defer or contraindicated rule holds back, the option stays open, so those rules give at
most ``caution`` and their text says which parts to leave out and what usual care can still
start with (e.g. a scalp infection holds back minoxidil lotion, not finasteride tablets). When
every first-line part is held back, the rules keep their level.

Earlier treatments do not change eligibility; they add notes (e.g. PRP gave no response before)
that ranking turns into a lower expected benefit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from regenaid.decide.intake import Intake, PriorTreatmentId
from regenaid.knowledge.base import KnowledgeBase
from regenaid.knowledge.model import (
    HEALTH_FLAGS,
    PRIOR_CARE_TAGS,
    SUPPORTIVE_CARE_TAGS,
    CareComponent,
    CitedText,
    Contraindication,
    Eligibility,
    FirstLineCare,
    TreatmentId,
)

SEVERITY_OF_LEVEL: dict[Eligibility, int] = {
    "eligible": 0,
    "caution": 1,
    "defer": 2,
    "contraindicated": 3,
}
NOT_RANKED: frozenset[Eligibility] = frozenset({"contraindicated", "defer"})

HAIR_MEDICINES: tuple[PriorTreatmentId, ...] = ("minoxidil", "finasteride", "dutasteride")
# Earlier treatments whose response tells us something about an option (by treatment id).
PRIOR_EVIDENCE_FOR: dict[TreatmentId, tuple[PriorTreatmentId, ...]] = {
    "prp": ("prp",),
    "exosome": ("exosome",),
    "combination": ("prp", "exosome"),
    "conventional": HAIR_MEDICINES,
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an option has its eligibility (or a note that affects expectations)."""

    code: str
    text: str
    sources: tuple[str, ...] = ()
    level: Eligibility = "eligible"
    come_back: str | None = None
    # For a care-specific rule on conventional care: the names of the parts it concerns.
    concerns: tuple[str, ...] = ()
    # For a rule that makes usual care wait: its supportive parts that can start or go on
    # meanwhile (sunscreen in pregnancy), by name.
    meanwhile: tuple[str, ...] = ()
    # For a rule that leaves some parts of usual care out while the rest can start: their names.
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The eligibility of one option with its reasons (worst first) and notes."""

    treatment: TreatmentId
    eligibility: Eligibility
    reasons: tuple[Reason, ...]
    notes: tuple[Reason, ...] = ()

    @property
    def ranked(self) -> bool:
        """False for contraindicated and deferred options: they are never ranked."""
        return self.eligibility not in NOT_RANKED

    @property
    def come_back(self) -> tuple[str, ...]:
        """When to come back, for each deferral reason."""
        return tuple(r.come_back for r in self.reasons if r.come_back)

    @property
    def meanwhile(self) -> tuple[str, ...]:
        """The supportive parts of usual care that can start or go on while its deferring rules
        make it wait (sunscreen in pregnancy), each once."""
        return tuple(
            dict.fromkeys(n for r in self.reasons if r.level == "defer" for n in r.meanwhile)
        )


def worst(levels: Iterable[Eligibility]) -> Eligibility:
    """The most restrictive level (contraindicated > defer > caution > eligible)."""
    result: Eligibility = "eligible"
    for level in levels:
        if SEVERITY_OF_LEVEL[level] > SEVERITY_OF_LEVEL[result]:
            result = level
    return result


def switched_on(rule: Contraindication, flags_on: Iterable[str]) -> bool:
    """True when the rule's health flag is on, or it has no health flag (its code is not one)."""
    return rule.code not in HEALTH_FLAGS or rule.code in flags_on


def rule_covers(rule: Contraindication, intake: Intake) -> bool:
    """True when the rule's limits (conditions, sexes, min_age, max_age) include this person."""
    return (
        rule.applies_to(intake.condition)
        and (not rule.sexes or intake.sex in rule.sexes)
        and (rule.min_age is None or intake.age >= rule.min_age)
        and (rule.max_age is None or intake.age <= rule.max_age)
    )


def parts_concerned(
    rule: Contraindication, first_line: FirstLineCare, severity: str, sex: str | None = None
) -> tuple[CareComponent, ...]:
    """The parts of usual care offered at ``severity`` (to ``sex``) that carry one of the
    rule's care tags."""
    wanted = set(rule.care)
    return tuple(c for c in first_line.for_severity(severity, sex) if wanted.intersection(c.care))


def _reason(rule: Contraindication) -> Reason:
    text, sources = rule.said_about()
    return Reason(rule.code, text, sources, rule.level, rule.come_back)


def _conventional_reason(
    rule: Contraindication,
    parts: Sequence[CareComponent],
    still_open: Sequence[CareComponent],
    meanwhile: bool = True,
    failed: Mapping[str, Sequence[str]] | None = None,
) -> Reason:
    """The reason of a care-specific rule: it names the parts it concerns. When usual care
    can still start with a first-line part that no stricter rule holds back (``still_open``),
    the option stays open: the rule gives at most ``caution`` and says what to leave out."""
    names = tuple(p.name for p in parts)
    said, cited = rule.said_about({t for p in parts for t in p.care})  # only these parts' notes
    text = f"{said} This concerns: {'; '.join(names)}."
    level, come_back = rule.level, rule.come_back
    supportive = [c for c in still_open if set(c.care) <= SUPPORTIVE_CARE_TAGS]
    still_open = [c for c in still_open if c not in supportive]
    going_on: tuple[str, ...] = ()
    if not still_open and supportive and level == "defer" and meanwhile:
        going_on = tuple(c.name.lower() for c in supportive)
        text += f" Meanwhile, {'; '.join(going_on)} can start now or go on."
    left_out: tuple[str, ...] = ()
    limits: list[CitedText] = []
    if still_open and SEVERITY_OF_LEVEL[level] > SEVERITY_OF_LEVEL["caution"]:
        left_out = names
        what = "this part" if len(parts) == 1 else "these parts"
        if level == "defer" and come_back:
            text += f" Leave {what} out for now; come back {come_back.rstrip('.')}."
        else:
            text += f" Leave {what} out."
        # a part like an earlier treatment that did not help is still offered, and says so
        # (``failed``: care tag -> the earlier treatment the person said did not help)
        open_names = [_with_failure(c, failed or {}) for c in still_open]
        text += f" Usual care can still start with: {'; '.join(open_names)}."
        if any(p.role == "severe" for p in parts):  # what is left is meant for milder disease
            limits = [c.limits for c in still_open if c.limits is not None]
            text += "".join(f" {note.text}" for note in limits)
        level, come_back = "caution", None
    # the rule's sources, then those of the parts it names ("This concerns: ..."), so that the
    # parts are cited for this condition and not only the rule's examples from other conditions
    # (then those of what is said of the parts left: ``limits``)
    sources = tuple(
        dict.fromkeys(
            (
                *cited,
                *(s for p in parts for s in p.sources),
                *(s for note in limits for s in note.sources),
            )
        )
    )
    return Reason(rule.code, text, sources, level, come_back, names, going_on, left_out)


def _with_failure(part: CareComponent, failed: Mapping[str, Sequence[str]]) -> str:
    """The part's name, and which earlier treatments like it the person said did not help."""
    said = list(dict.fromkeys(label for t in part.care for label in failed.get(t, ())))
    return f"{part.name} (you said {' and '.join(said)} did not help you)" if said else part.name


def _conventional_reasons(
    hits: Sequence[tuple[Contraindication, tuple[CareComponent, ...]]],
    first_line: FirstLineCare,
    severity: str,
    sex: str | None = None,
    failed: Mapping[str, Sequence[str]] | None = None,
) -> list[Reason]:
    """Reasons of the care-specific rules that reach this person's usual care. The first-line
    parts that no defer or contraindicated rule concerns keep the option open."""
    held_back = {
        c.id
        for rule, parts in hits
        if SEVERITY_OF_LEVEL[rule.level] > SEVERITY_OF_LEVEL["caution"]
        for c in parts
    }
    still_open = [
        c
        for c in first_line.for_severity(severity, sex)
        if c.role == "first_line" and c.id not in held_back
    ]
    deferring = [i for i, (rule, _) in enumerate(hits) if rule.level == "defer"]
    last = deferring[-1] if deferring else -1
    return [
        _conventional_reason(rule, parts, still_open, meanwhile=i == last, failed=failed)
        for i, (rule, parts) in enumerate(hits)
    ]


def screen_contraindications(
    intake: Intake,
    rules: Sequence[Contraindication],
    treatments: Sequence[TreatmentId],
    first_line: FirstLineCare | None = None,
) -> dict[TreatmentId, tuple[Reason, ...]]:
    """Reasons per treatment from every rule that is switched on (its health flag is on, or
    it has none) and covers this person, in rule order.

    A care-specific rule reaches conventional care only through the parts of ``first_line`` it
    concerns (at the intake's severity); without ``first_line`` it applies in full, unnamed.
    """
    on = set(intake.health.flags_on())
    if "pregnant_or_breastfeeding" in on:  # its rules defer what the chance of pregnancy
        on.discard("could_become_pregnant")  # would caution (birth control is not for now)
    severity = intake.resolved_severity
    found: dict[TreatmentId, list[tuple[int, Reason]]] = {t: [] for t in treatments}
    care_hits: list[tuple[int, Contraindication, tuple[CareComponent, ...]]] = []
    for index, rule in enumerate(rules):
        if not switched_on(rule, on) or not rule_covers(rule, intake):
            continue
        for treatment in rule.treatments:
            if treatment not in found:
                continue
            if treatment == "conventional" and rule.care and first_line is not None:
                parts = parts_concerned(rule, first_line, severity, intake.sex)
                if parts:
                    care_hits.append((index, rule, parts))
            else:
                found[treatment].append((index, _reason(rule)))
    if care_hits and first_line is not None and "conventional" in found:
        hits = [(r, p) for _, r, p in care_hits]
        failed: dict[str, list[str]] = {}  # care tag -> earlier treatments that did not help
        for prior, tags in PRIOR_CARE_TAGS.items():
            if intake.prior_response(cast(PriorTreatmentId, prior)) == "none":
                for tag in tags:
                    failed.setdefault(tag, []).append(PRIOR_LABEL[prior])
        reasons = _conventional_reasons(hits, first_line, severity, intake.sex, failed)
        found["conventional"] += [(i, r) for (i, _, _), r in zip(care_hits, reasons, strict=True)]
    return {t: tuple(r for _, r in sorted(rs, key=lambda x: x[0])) for t, rs in found.items()}


def usual_care_priors(
    intake: Intake, first_line: FirstLineCare | None
) -> tuple[PriorTreatmentId, ...]:
    """The earlier treatments that are part of this person's usual care (their response tells
    us about it): by care tag, e.g. minoxidil for pattern hair loss, microneedling and laser for
    acne scars, a retinoid cream for photoageing. Without ``first_line``, the hair medicines."""
    if first_line is None:
        return HAIR_MEDICINES
    return _priors_of(first_line.tags(intake.resolved_severity, intake.sex))


def _priors_of(care: Iterable[str]) -> tuple[PriorTreatmentId, ...]:
    """The earlier treatments (intake ids) that are care with one of these tags."""
    wanted = set(care)
    return tuple(
        cast(PriorTreatmentId, prior)
        for prior, tags in PRIOR_CARE_TAGS.items()
        if wanted.intersection(tags)
    )


@dataclass(frozen=True, slots=True)
class UsualCarePart:
    """A main part of usual care (first line, or for advanced disease; not an add-on) and the
    earlier treatments that are it (minoxidil for "Minoxidil foam or liquid on the scalp";
    none for sunscreen or a filler, which the intake cannot name)."""

    name: str
    priors: tuple[PriorTreatmentId, ...]


MAIN_ROLES = frozenset({"first_line", "severe", "advanced"})  # usual care's parts, not add-ons


def usual_care_parts(
    intake: Intake, first_line: FirstLineCare | None
) -> tuple[UsualCarePart, ...] | None:
    """The main parts of this person's usual care (not its add-ons, nor sunscreen or a wig,
    which treat nothing an earlier response could tell about): for pattern hair loss in a man,
    minoxidil on the scalp (minoxidil) and finasteride (finasteride, dutasteride). None without
    ``first_line``."""
    return usual_care_parts_for(first_line, intake.resolved_severity, intake.sex)


def usual_care_parts_for(
    first_line: FirstLineCare | None, severity: str, sex: str
) -> tuple[UsualCarePart, ...] | None:
    """:func:`usual_care_parts` for a person of ``sex`` at ``severity``."""
    if first_line is None:
        return None
    return tuple(
        UsualCarePart(part.name, _priors_of(part.care))
        for part in first_line.for_severity(severity, sex)
        if part.role in MAIN_ROLES and not set(part.care) <= SUPPORTIVE_CARE_TAGS
    )


def prior_treatment_notes(
    intake: Intake, treatment: TreatmentId, first_line: FirstLineCare | None = None
) -> tuple[Reason, ...]:
    """Notes from earlier treatments that bear on this option's expected benefit."""
    if not intake.prior_treatments:  # (nothing tried before: no notes)
        return ()
    notes: list[Reason] = []
    priors = (
        usual_care_priors(intake, first_line)
        if treatment == "conventional"
        else PRIOR_EVIDENCE_FOR.get(treatment, ())
    )
    for prior in priors:
        response = intake.prior_response(prior)
        if response is None or response == "unknown":
            continue
        label = PRIOR_LABEL[prior]
        text = {
            "none": f"You said {label} did not help you before, so we expect less from it now.",
            "partial": f"You said {label} helped you partly before.",
            "good": f"You said {label} worked well for you before, so we expect more from it.",
        }[response]
        notes.append(Reason(f"prior_{prior}_{response}", text))
    return tuple(notes)


PRIOR_LABEL: dict[str, str] = {
    "prp": "PRP",
    "exosome": "exosome therapy",
    "minoxidil": "minoxidil",
    "finasteride": "finasteride",
    "dutasteride": "dutasteride",
    "microneedling": "microneedling",
    "laser": "laser treatment",
    "retinoid": "a retinoid cream",
}


def screen_options(
    intake: Intake,
    rules: Sequence[Contraindication],
    treatments: Sequence[TreatmentId],
    first_line: FirstLineCare | None = None,
) -> dict[TreatmentId, ScreeningResult]:
    """Screen each of ``treatments`` against the ``rules`` that cover this person (pure; the
    records are arguments). ``first_line`` is the usual care of the intake's condition: rules
    for parts of usual care (``care`` tags) reach conventional care only through it."""
    by_treatment = screen_contraindications(intake, rules, treatments, first_line)
    results: dict[TreatmentId, ScreeningResult] = {}
    for treatment in treatments:
        reasons = tuple(sorted(by_treatment[treatment], key=lambda r: -SEVERITY_OF_LEVEL[r.level]))
        results[treatment] = ScreeningResult(
            treatment=treatment,
            eligibility=worst(r.level for r in reasons),
            reasons=reasons,
            notes=prior_treatment_notes(intake, treatment, first_line),
        )
    return results


def screen(intake: Intake, kb: KnowledgeBase) -> dict[TreatmentId, ScreeningResult]:
    """Screen the options of the intake's condition against every rule in ``kb``.

    Only the rules that can reach them are looked at (:func:`_rules_for`), in their order:
    the same reasons in the same order as from all of them."""
    condition = kb.conditions[intake.condition]
    first_line = kb.first_line.get(intake.condition)
    on = intake.health.flags_on()
    rules = [r for r, flag in _rules_for(kb, intake.condition) if flag is None or flag in on]
    return screen_options(intake, rules, condition.treatments, first_line)


@functools.lru_cache(maxsize=64)  # one entry per condition of a knowledge base
def _rules_for(
    kb: KnowledgeBase, condition: str
) -> tuple[tuple[Contraindication, str | None], ...]:
    """The rules of ``kb`` that apply to ``condition`` and name one of its options, in order,
    each with the health flag that switches it on (None: it needs none, see switched_on)."""
    options = set(kb.conditions[condition].treatments)
    return tuple(
        (rule, rule.code if rule.code in HEALTH_FLAGS else None)
        for rule in kb.contraindications
        if rule.applies_to(condition) and options.intersection(rule.treatments)
    )


def advanced_parts_left_out(
    kb: KnowledgeBase, intake: Intake, screening: Mapping[TreatmentId, ScreeningResult]
) -> bool | None:
    """Whether screening leaves out every part of usual care meant for advanced disease (role
    ``severe``: JAK-inhibitor tablets for alopecia areata, left out in pregnancy); None when
    there are none to leave out: the disease is not advanced, usual care has no such part, or
    usual care is not an option for the condition."""
    care = kb.first_line.get(intake.condition)
    result = screening.get("conventional")
    if intake.resolved_severity != "advanced" or care is None or result is None:
        return None
    severe = {c.name for c in care.components if c.role == "severe"}
    if not severe:
        return None
    return severe <= {name for r in result.reasons for name in r.left_out}


def advanced_care(
    kb: KnowledgeBase,
    intake: Intake,
    screening: Mapping[TreatmentId, ScreeningResult] | None = None,
) -> bool:
    """True when the person's usual care is the care for advanced disease: usual care has
    parts meant for it and screening does not leave all of them out
    (:func:`advanced_parts_left_out`). Its schedule and price then come from the entries for
    advanced disease (:meth:`KnowledgeBase.protocol`). ``screening``: :func:`screen`'s result,
    when known."""
    if intake.resolved_severity != "advanced":  # (no screening needed to know)
        return False
    done = screening if screening is not None else screen(intake, kb)
    return advanced_parts_left_out(kb, intake, done) is False
