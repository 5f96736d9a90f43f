"""FHIR R4 for the clinic's records: a patient's record out as a Bundle and back in.

- :mod:`.vocabulary` — code systems, extension URLs and the standard codes of
  ``data/fhir_codes.yaml`` with how each was checked;
- :mod:`.elements` — ids, references, extensions, and reading JSON with its path;
- :mod:`.export` — records to resources (pure);
- :mod:`.read` — a Bundle validated and read back into records (pure).

The use cases (role, clinic, audit, one transaction) are in
:mod:`regenaid.clinic.fhir_services`; the mapping is documented in ``docs/clinic-fhir.md``.
"""
