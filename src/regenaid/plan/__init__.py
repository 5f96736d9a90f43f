"""regenaid.plan."""
