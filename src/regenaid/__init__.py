"""regenaid: an evidence-graded decision aid and treatment planner for regenerative hair and
skin treatments (PRP, exosome therapy, both, conventional care, no new treatment).

Layers, imported only downwards: ``knowledge`` → ``decide`` / ``plan`` / ``economics`` /
``evidence`` (the pure core) → ``reports`` → ``clinic`` → ``web`` / ``cli``.
"""

__version__ = "0.1.0"
