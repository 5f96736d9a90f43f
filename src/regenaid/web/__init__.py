"""regenaid.web."""
