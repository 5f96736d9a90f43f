"""A small hand-built knowledge base for unit tests of assessment and grid logic.

Invented records (ids ``t-*``) so that tests do not depend on the shipped data's details.
"""

from __future__ import annotations

import functools

from regenaid.knowledge import KnowledgeBase
from regenaid.knowledge.model import (
    CitedText,
    Claim,
    Condition,
    Contraindication,
    GridRow,
    PriceRange,
    Protocol,
    Range,
    RegulatoryStatus,
    Source,
    Treatment,
    TreatmentId,
)

ALL: tuple[TreatmentId, ...] = ("prp", "exosome", "combination", "conventional", "no_treatment")


def _c(text: str, *sources: str) -> CitedText:
    return CitedText(text, tuple(sources) or ("t-peer",))


def _treatment(tid: TreatmentId, name: str, autologous: bool, blood: bool) -> Treatment:
    return Treatment(
        id=tid,
        name=name,
        summary=f"{name} summary.",
        mechanism=_c(f"{name} mechanism."),
        material=_c(f"{name} material."),
        autologous=autologous,
        blood_draw=blood,
        injections=tid in ("prp", "exosome", "combination"),
        steps=(_c(f"{name} step one."), _c(f"{name} step two.")),
        side_effects_common=(_c(f"{name} common harm."),),
        side_effects_serious=(_c(f"{name} serious harm."),),
    )


def _condition(cid: str, concern: str) -> Condition:
    return Condition(
        id=cid,
        concern=concern,  # type: ignore[arg-type]
        name=cid.replace("_", " ").capitalize(),
        plain_description="A condition.",
        natural_course=_c("It slowly gets worse."),
        conventional_care=_c("Standard first-line care."),
        treatments=ALL,
        conventional_side_effects_common=(_c("Conventional common harm."),),
    )


def _protocol(tid: TreatmentId, cid: str) -> Protocol:
    table = {
        "prp": (Range(3, 4), Range(4, 6), Range(13, 26), Range(12, 24)),
        "exosome": (Range(1, 3), Range(4, 8), Range(26, 52), Range(8, 26)),
        "combination": (Range(3, 3), Range(4, 4), Range(13, 26), Range(12, 24)),
        "conventional": (Range(1, 2), Range(12, 26), None, Range(16, 26)),
    }
    sessions, interval, maintenance, ttr = table[tid]
    return Protocol(tid, cid, sessions, interval, maintenance, ttr, "Months.", ("t-peer",))


@functools.cache
def tiny_kb() -> KnowledgeBase:
    sources = {
        "t-peer": Source("t-peer", "peer_reviewed", "A trial"),
        "t-clinic": Source("t-clinic", "marketing", "A clinic page"),
        "t-fda": Source("t-fda", "regulator", "A regulator page"),
    }
    conditions = {
        c.id: c
        for c in (_condition("androgenetic_alopecia", "hair"), _condition("acne_scars", "skin"))
    }
    treatments = {
        "prp": _treatment("prp", "PRP", True, True),
        "exosome": _treatment("exosome", "Exosome therapy", False, False),
        "combination": _treatment("combination", "PRP with exosomes", False, True),
        "conventional": _treatment("conventional", "Conventional care", False, False),
        "no_treatment": _treatment("no_treatment", "No new treatment", True, False),
    }
    rules = (
        Contraindication(
            "anticoagulant",
            "contraindicated",
            ("prp", "combination"),
            "Blood thinners.",
            ("t-peer",),
        ),
        Contraindication("anticoagulant", "caution", ("exosome",), "Bruising.", ("t-peer",)),
        Contraindication(
            "pregnant_or_breastfeeding",
            "defer",
            ("prp", "exosome", "combination"),
            "No safety data.",
            ("t-peer",),
            come_back="After pregnancy and breastfeeding.",
        ),
        Contraindication(
            "pregnant_or_breastfeeding",
            "contraindicated",
            ("conventional",),
            "Finasteride harms a male fetus.",
            ("t-peer",),
        ),
    )
    protocols = {
        (t, c): _protocol(t, c)
        for t in ("prp", "exosome", "combination", "conventional")
        for c in conditions
    }
    prices = (
        PriceRange("prp", "USD", 500, 2000, "session", ("t-clinic",)),
        PriceRange("exosome", "USD", 1500, 5000, "session", ("t-clinic",)),
        PriceRange("combination", "USD", 2000, 6000, "session", ("t-clinic",)),
        PriceRange("conventional", "USD", 20, 60, "month", ("t-peer",)),
        PriceRange("no_treatment", "USD", 0, 0, "session", ("t-peer",)),
        PriceRange("prp", "GBP", 300, 900, "session", ("t-clinic",)),
        PriceRange("exosome", "GBP", 1000, 3000, "session", ("t-clinic",)),
        PriceRange("combination", "GBP", 1200, 3600, "session", ("t-clinic",)),
        PriceRange("conventional", "GBP", 15, 40, "month", ("t-peer",)),
        PriceRange("no_treatment", "GBP", 0, 0, "session", ("t-peer",)),
    )
    fallback = [
        RegulatoryStatus(t, "*", "check_local_rules", "Check local rules.", ()) for t in ALL
    ]
    us = RegulatoryStatus(
        "exosome", "US", "not_approved", "No approved exosome product.", ("t-fda",)
    )
    regulatory = (*fallback, us)
    claims = (
        Claim(
            "t-c1",
            "exosome",
            "time_to_results",
            "Results in 8-12 weeks.",
            ("t-clinic",),
            Range(8, 12),
            "weeks",
        ),
        Claim(
            "t-c2",
            "exosome",
            "time_to_results",
            "Results in 3-6 months.",
            ("t-peer",),
            Range(13, 26),
            "weeks",
        ),
        Claim(
            "t-c3",
            "exosome",
            "sessions",
            "1 to 3 sessions.",
            ("t-clinic",),
            Range(1, 3),
            "sessions",
        ),
        Claim("t-c4", "exosome", "sessions", "Multiple sessions.", ("t-peer",)),
        Claim("t-c5", "prp", "sessions", "3 sessions.", ("t-peer",), Range(3, 3), "sessions"),
    )
    rows = tuple(
        GridRow(rid, f"{rid}?")
        for rid in (
            "material",
            "procedure",
            "sessions",
            "time_to_results",
            "duration",
            "side_effects",
            "cost",
            "evidence",
            "regulatory",
        )
    )
    return KnowledgeBase(
        sources=sources,
        conditions=conditions,
        treatments=treatments,  # type: ignore[arg-type]
        contraindications=rules,
        protocols=protocols,  # type: ignore[arg-type]
        prices=prices,
        regulatory=regulatory,
        claims=claims,
        grid_rows=rows,
    )
