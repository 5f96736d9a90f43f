"""regenaid.clinic."""
