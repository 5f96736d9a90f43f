"""regenaid.decide."""
