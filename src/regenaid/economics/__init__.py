"""regenaid.economics."""
