"""The clinic's own domain and use cases: accounts and roles, patients and consent, treatment
courses and sessions, PRP preparation records with their derived classes, exosome product lots
and recalls, adverse events and the audit trail.

Plain objects and rules, tested with fake repositories. Nothing here imports SQLAlchemy,
FastAPI or matplotlib, and nothing imports :mod:`regenaid.store`: the storage adapters
implement the repository interfaces declared here, and the web and CLI edges wire the two.
"""
