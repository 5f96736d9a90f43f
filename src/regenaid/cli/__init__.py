"""regenaid.cli."""
