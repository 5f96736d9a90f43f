"""``POST /api/v1/assessments``: an intake in (CONTRACT §1), an assessment out (§2)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from regenaid.decide import Assessment, Intake, assess

router = APIRouter(prefix="/api/v1", tags=["assessments"])


@router.post(
    "/assessments",
    response_model=Assessment,
    summary="Assess an intake",
    responses={422: {"description": "Invalid intake; `detail[0].field` names the field."}},
)
def create_assessment(intake: Intake) -> Response:
    """Screen, rank and explain every option of the intake's condition.

    The assessment is computed, not stored. Invalid input gives 422 naming the field.
    """
    assessment = assess(intake)
    # Already validated by construction: serialise once, skip response re-validation.
    return Response(content=assessment.model_dump_json(), media_type="application/json")
