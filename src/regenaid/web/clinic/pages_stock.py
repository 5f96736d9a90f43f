"""Exosome lots: the stock list, receiving a lot (the MISEV fields and its certificate of
analysis, a PDF upload), the lot's page with what its documents leave out (MISEV
characterisation gaps), the maker's word beside the MISEV term, its regulatory status, the
recall button, who received it (recall list and CSV) and the certificate's download."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from regenaid.clinic.access import Action
from regenaid.clinic.documents import CERTIFICATE_MAX_BYTES
from regenaid.clinic.exosome_lots import (
    MARKER_RESULTS,
    PARTICLE_METHODS,
    PRODUCT_FORMS,
    QUANTITY_UNITS,
    ROUTES,
    SAFETY_TEST_RESULTS,
    SOURCE_KINDS,
    ExosomeLot,
    exosome_reference,
    lot_characterisation_gaps,
    misev_naming,
)
from regenaid.clinic.staff import SignedIn
from regenaid.clinic.treatments import (
    export_recall_csv,
    get_lot,
    lot_certificate,
    lots,
    recall_list,
    recall_lot,
    receive_lot,
)
from regenaid.errors import InvalidInputError
from regenaid.web.clinic import forms
from regenaid.web.clinic.auth import clinic_uow, signed_in
from regenaid.web.clinic.pages_common import (
    ClinicPageRoute,
    actor_of,
    attempt,
    documents_of,
    done,
    kb,
    page,
    staff_form,
    today,
    uploaded,
)

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)

MARKER_ROWS = 6
SUGGESTED_MARKERS = ("CD9", "CD63", "CD81", "TSG101", "syntenin", "calnexin")
SOURCE_LABELS = {
    "human_adipose_stem_cells": "Human adipose (fat) stem cells",
    "human_umbilical_cord_stem_cells": "Human umbilical cord stem cells",
    "human_bone_marrow_stem_cells": "Human bone marrow stem cells",
    "human_other": "Other human cells (say which)",
    "plant": "Plant",
    "milk": "Milk",
    "salmon": "Salmon",
    "other": "Other (say which)",
}
PARTICLE_METHOD_LABELS = {
    "nta": "Nanoparticle tracking analysis (NTA)",
    "flow_cytometry": "Flow cytometry",
    "trps": "Tunable resistive pulse sensing (TRPS)",
    "other": "Other",
}
RESULT_LABELS = {
    "pass": "Passed",
    "fail": "Failed",
    "not_reported": "Not reported",
    "present": "Present",
    "absent": "Absent",
}
LOT_LABELS = {
    "product_name": "Product name",
    "manufacturer": "Maker",
    "manufacturer_country": "Maker's country",
    "lot_number": "Lot number",
    "expiry_date": "Use by",
    "received_date": "Received",
    "quantity_received": "Amount received",
    "maker_term": "The maker's word for it",
    "labelled_routes": "Routes on the label",
    "donor_eligibility": "Donor eligibility statement",
    "source_detail": "Which source",
    "coa_file": "Certificate of analysis (PDF)",
}


def source_title(source_id: str) -> str:
    """A cited source's title (the exosome reference file or the knowledge base)."""
    ref = exosome_reference().sources.get(source_id)
    if ref is not None:
        return ref.title
    known = kb().sources.get(source_id)
    return known.title if known is not None else source_id


@router.get("/lots")
def lots_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    stock = sorted(
        lots(clinic_uow(request), actor_of(request, who)),
        key=lambda lot: (lot.is_recalled, lot.expiry_date, lot.product_name),
    )
    return page(request, "clinic/lots.html", {"title": "Exosome lots", "lots": stock})


def _lot_values(form: FormData, jurisdiction: str | None) -> dict[str, Any]:
    markers: dict[str, str] = {}
    for row in range(MARKER_ROWS):
        name = forms.text(form, f"marker{row}_name", limit=50)
        if name is None:
            continue
        result = forms.one_of(form, f"marker{row}_result", MARKER_RESULTS) or "not_reported"
        if result == "not_reported":
            continue  # a row left at "not reported" says nothing: it is not stored
        if name.casefold() in {m.casefold() for m in markers}:
            raise InvalidInputError(f"marker{row}_name", f"{name!r} is listed twice")
        markers[name] = result
    quantity = forms.text(form, "quantity_received", limit=20)
    if quantity is None:
        raise InvalidInputError("quantity_received", "give the amount received")
    values: dict[str, Any] = {
        "product_name": forms.raw(form, "product_name")[:300],
        "manufacturer": forms.raw(form, "manufacturer")[:300],
        "manufacturer_country": forms.raw(form, "manufacturer_country")[:10],
        "lot_number": forms.raw(form, "lot_number")[:300],
        "catalogue_number": forms.text(form, "catalogue_number"),
        "manufacture_date": forms.day(form, "manufacture_date"),
        "expiry_date": forms.required_day(form, "expiry_date"),
        "received_date": forms.required_day(form, "received_date"),
        "quantity_unit": forms.required_one_of(form, "quantity_unit", QUANTITY_UNITS),
        "quantity_received": quantity.replace(",", "."),
        "source": forms.required_one_of(form, "source", SOURCE_KINDS),
        "source_detail": forms.text(form, "source_detail"),
        "donor_eligibility": forms.text(form, "donor_eligibility", limit=2000),
        "maker_term": forms.raw(form, "maker_term")[:300],
        "form": forms.required_one_of(form, "form", PRODUCT_FORMS),
        "labelled_routes": tuple(forms.many(form, "labelled_routes", ROUTES)),
        "separation_method": forms.text(form, "separation_method"),
        "particle_concentration_per_ml": forms.number(form, "particle_concentration_per_ml"),
        "particle_method": forms.one_of(form, "particle_method", PARTICLE_METHODS),
        "size_mode_nm": forms.number(form, "size_mode_nm"),
        "protein_ug_per_ml": forms.number(form, "protein_ug_per_ml"),
        "markers": markers,
        "imaging_method": forms.text(form, "imaging_method"),
        "sterility": forms.one_of(form, "sterility", SAFETY_TEST_RESULTS) or "not_reported",
        "endotoxin": forms.one_of(form, "endotoxin", SAFETY_TEST_RESULTS) or "not_reported",
        "mycoplasma": forms.one_of(form, "mycoplasma", SAFETY_TEST_RESULTS) or "not_reported",
        "storage_min_c": forms.number(form, "storage_min_c"),
        "storage_max_c": forms.number(form, "storage_max_c"),
    }
    if jurisdiction:
        values["jurisdictions"] = (jurisdiction,)
    return values


def _lot_form(
    request: Request,
    who: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    who.ctx.require(Action.MANAGE_LOTS)
    defaults: dict[str, object] = {
        "received_date": today().isoformat(),
        "maker_term": "exosomes",
        **{f"marker{i}_name": name for i, name in enumerate(SUGGESTED_MARKERS)},
    }
    return page(
        request,
        "clinic/lot_form.html",
        {
            "title": "Receive a lot",
            "units": [(u, u) for u in QUANTITY_UNITS],
            "sources": [(s, SOURCE_LABELS[s]) for s in SOURCE_KINDS],
            "product_forms": [(p, p) for p in PRODUCT_FORMS],
            "routes": [(r, r) for r in ROUTES],
            "chosen_routes": _chosen(values, "labelled_routes"),
            "particle_methods": [(m, PARTICLE_METHOD_LABELS[m]) for m in PARTICLE_METHODS],
            "tests": [(r, RESULT_LABELS[r]) for r in SAFETY_TEST_RESULTS],
            "marker_results": [(r, RESULT_LABELS[r]) for r in MARKER_RESULTS],
            "marker_rows": range(MARKER_ROWS),
            "labels": LOT_LABELS,
            "jurisdiction": who.clinic.jurisdiction,
            "errors": errors or {},
            "refusal": refusal,
            "values": values if values is not None else defaults,
        },
        status_code=status,
    )


def _chosen(values: Mapping[str, object] | None, name: str) -> Sequence[str]:
    value = (values or {}).get(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [value] if isinstance(value, str) and value else []


@router.get("/lots/new")
def lot_new(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    return _lot_form(request, who)


@router.post("/lots")
async def lot_create(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    form = await staff_form(request, who, max_files=1)
    try:
        who.ctx.require(Action.MANAGE_LOTS)
        certificate = await uploaded(form, "coa_file", CERTIFICATE_MAX_BYTES)
    finally:
        await form.close()

    def work() -> Response:
        lot = receive_lot(
            clinic_uow(request),
            actor_of(request, who),
            certificate=certificate,
            documents=documents_of(request),
            **_lot_values(form, who.clinic.jurisdiction),
        )
        return done(f"/clinic/lots/{lot.id}", "lot_received")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        named = {("markers" if k.startswith("markers") else k): v for k, v in errors.items()}
        if certificate is not None and "coa_file" not in named:
            named["coa_file"] = "Choose the certificate again: a refused form does not keep it."
        return _lot_form(
            request, who, errors=named, refusal=refusal, status=status, values=forms.echo(form)
        )

    return await run_in_threadpool(attempt, work, again)


def _lot_page(
    request: Request,
    who: SignedIn,
    lot_id: str,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    actor = actor_of(request, who)
    lot = get_lot(clinic_uow(request), actor, lot_id)
    recipients = (
        recall_list(clinic_uow(request), actor, lot_id)
        if who.ctx.can(Action.VIEW_RECALL_LIST)
        else None
    )
    naming = misev_naming(lot)
    return page(
        request,
        "clinic/lot.html",
        {
            "title": f"{lot.product_name}, lot {lot.lot_number}",
            "lot": lot,
            "expired": lot.expiry_date < today(),
            "gaps": lot_characterisation_gaps(lot),
            "naming": naming,
            "source_title": source_title,
            "recipients": recipients,
            "source_labels": SOURCE_LABELS,
            "result_labels": RESULT_LABELS,
            "particle_method_labels": PARTICLE_METHOD_LABELS,
            "errors": errors or {},
            "refusal": refusal,
        },
        status_code=status,
    )


@router.get("/lots/{lot_id}")
def lot_page(request: Request, lot_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    return _lot_page(request, who, lot_id)


@router.post("/lots/{lot_id}/recall")
async def lot_recall(request: Request, lot_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        recall_lot(
            clinic_uow(request),
            actor_of(request, who),
            lot_id,
            forms.raw(form, "recall_reason")[:2000],
        )
        return done(f"/clinic/lots/{lot_id}#recipients", "lot_recalled")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _lot_page(request, who, lot_id, errors=errors, refusal=refusal, status=status)

    return await run_in_threadpool(attempt, work, again)


@router.get("/lots/{lot_id}/recall.csv")
def lot_recall_csv(request: Request, lot_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    text = export_recall_csv(clinic_uow(request), actor_of(request, who), lot_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="recall-{lot_id}.csv"',
            "cache-control": "no-store",
        },
    )


@router.get("/lots/{lot_id}/certificate")
def lot_certificate_download(
    request: Request, lot_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    """The lot's certificate of analysis as a download (never shown inline): only roles that
    may see lots, only the lot's own clinic (404 otherwise), audited as an export."""
    found = lot_certificate(
        clinic_uow(request), actor_of(request, who), documents_of(request), lot_id
    )
    return Response(
        found.content,
        media_type="application/pdf",
        headers={
            "content-disposition": attachment(found.display_name),
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
        },
    )


def attachment(name: str) -> str:
    """``Content-Disposition: attachment`` with the display name: an ASCII fallback (anything
    else becomes ``_``) and the exact name as RFC 5987 ``filename*``."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip() or "certificate.pdf"
    if not fallback.lower().endswith(".pdf"):
        fallback += ".pdf"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def lot_label(lot: ExosomeLot) -> str:
    return f"{lot.product_name}, lot {lot.lot_number}"
