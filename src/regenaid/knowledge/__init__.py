"""regenaid.knowledge."""
