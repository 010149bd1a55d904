"""The knowledge base: reviewed YAML entries about innovations, destinations and visit logistics, and the
search that answers questions from them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.knowledge.entries import KNOWLEDGE_DIR, load_areas, load_knowledge
from core.knowledge.search import KnowledgeBase
from core.knowledge.text import Lexicon


@lru_cache(maxsize=4)
def build_knowledge(directory: Path = KNOWLEDGE_DIR, theme_ids: frozenset[str] = frozenset()) -> KnowledgeBase:
    """Load, check and index the knowledge base; raises KnowledgeError listing every problem.

    The result is read-only, so one index is shared by everything in the process that asks for it.
    """
    return KnowledgeBase(load_knowledge(directory, theme_ids), Lexicon.load(directory), load_areas(directory))
