"""The clinic's web edge: pages under ``/clinic`` and the JSON API under ``/api/v1/clinic``.

Both sign staff in with the same server-side session (cookie ``regenaid_staff``: the token;
the database keeps only its SHA-256) and run the use cases of :mod:`regenaid.clinic` with a
:class:`regenaid.store.clinic_uow.SqlClinicUnitOfWork`.
"""
