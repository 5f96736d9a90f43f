"""Use case: the clinic's cohort beside the published evidence (:mod:`regenaid.clinic.cohort`).

As elsewhere: check the role, scope to the clinic, read, audit, commit once. The aggregates
come from :class:`~regenaid.clinic.ports.OutcomeQueries` (computed by the database); the
audit entry holds counts only, never a patient.
"""

from __future__ import annotations

from regenaid.clinic.access import Action
from regenaid.clinic.cohort import CohortFilters, CohortView, build_cohort, cohort_csv
from regenaid.clinic.outcomes import outcome_catalogue
from regenaid.clinic.ports import ClinicUnitOfWork
from regenaid.clinic.services import Actor, audit
from regenaid.clinic.treatments import ClinicPrpProtocol
from regenaid.knowledge.base import KnowledgeBase


def _view(
    uow: ClinicUnitOfWork, actor: Actor, kb: KnowledgeBase, filters: CohortFilters, action: str
) -> CohortView:
    actor.ctx.require(Action.VIEW_OUTCOMES)
    with uow:
        rows = uow.outcome_queries.cohort_rows(
            actor.clinic_id,
            condition=filters.condition,
            treatment=filters.option,
            measure=filters.measure,
        )
        names = {}
        if filters.prp_class == "protocol":
            protocols = uow.records(ClinicPrpProtocol).find(actor.clinic_id)
            names = {p.id: p.protocol.name for p in protocols}
        view = build_cohort(rows, filters, kb.studies, outcome_catalogue(), names)
        audit(
            uow,
            actor,
            action,
            "cohort",
            None,
            f"groups={len(view.groups)},patients={view.patients},split={filters.prp_class}",
        )
        uow.commit()
    return view


def cohort_view(
    uow: ClinicUnitOfWork, actor: Actor, kb: KnowledgeBase, filters: CohortFilters
) -> CohortView:
    """The clinic's cohort per condition, option (PRP class) and measure, each beside the
    published estimate the decision aid shows; small cells suppressed."""
    return _view(uow, actor, kb, filters, "read")


def export_cohort_csv(
    uow: ClinicUnitOfWork, actor: Actor, kb: KnowledgeBase, filters: CohortFilters
) -> str:
    """:func:`cohort_view` as CSV (suppressed cells stay suppressed), audited as an export."""
    return cohort_csv(_view(uow, actor, kb, filters, "export"))
