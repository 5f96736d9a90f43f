"""regenaid.reports."""
