"""regenaid.evidence."""
