"""The cited knowledge base: treatments, conditions, screening rules, protocols, prices,
regulatory status, claims, Option Grid rows and studies, loaded from data files and validated.

>>> from regenaid.knowledge import load_knowledge
>>> kb = load_knowledge()
>>> kb.regulatory_status("exosome", "US").status
'not_approved'
"""

from regenaid.knowledge.base import KnowledgeBase
from regenaid.knowledge.loader import default_data_dir, load_knowledge, read_knowledge

__all__ = ["KnowledgeBase", "default_data_dir", "load_knowledge", "read_knowledge"]
