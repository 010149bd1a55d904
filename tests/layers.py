"""The layer contract (docs/ARCHITECTURE.md), checked on the import graph that grimp builds from the sources.

    python -m tests.layers        # prints each rule as kept or broken (with the offending imports); exit 1 if any broke

`make test` runs it, and tests/test_layers.py shows each rule breaking on a planted import. grimp is the
engine of import-linter; it is used directly because import-linter's command line brings click and rich
into the environment, and httpx then imports its own command line in every bot process (5 MB, at start).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import grimp

LAYERS = ("bot", "handlers", "core", "storage")
"""Top to bottom: a layer may import the ones below it, never one above."""
NO_DIRECT = {"handlers": ("storage",)}
"""Layers that may reach another only through the one between them (handlers reach storage through core)."""
PLATFORM_FREE = ("core", "handlers")
"""Layers that must not know a chat platform, a web framework or the template engine (only the shell does)."""
PLATFORM_LIBRARIES = ("telegram", "pywa", "starlette", "fastapi", "uvicorn", "httpx", "aiohttp", "jinja2")


@dataclass(frozen=True)
class Rule:
    name: str
    broken_by: list[str]  # "importer -> imported" for each import that breaks it


def check(graph: grimp.ImportGraph) -> list[Rule]:
    return [_layers(graph), _no_direct(graph), _platform_free(graph)]


def _layers(graph: grimp.ImportGraph) -> Rule:
    broken = [
        f"{head} -> {tail}"
        for dependency in graph.find_illegal_dependencies_for_layers(layers=LAYERS)
        for route in dependency.routes
        for head in route.heads
        for tail in route.tails
    ]
    return Rule("imports point down the layers: " + " -> ".join(LAYERS), sorted(set(broken)))


def _no_direct(graph: grimp.ImportGraph) -> Rule:
    broken = [
        f"{found['importer']} -> {found['imported']}"
        for source, targets in NO_DIRECT.items()
        for target in targets
        for found in graph.find_matching_direct_imports(import_expression=f"{source}.** -> {target}.**")
    ]
    return Rule("handlers reach storage only through core", sorted(broken))


def _platform_free(graph: grimp.ImportGraph) -> Rule:
    broken = [
        " -> ".join(chain)
        for source in PLATFORM_FREE
        for library in PLATFORM_LIBRARIES
        if library in graph.modules
        for chain in graph.find_shortest_chains(importer=source, imported=library, as_packages=True)
    ]
    return Rule("core and handlers know no chat platform, web framework or template engine", sorted(broken))


def main() -> int:
    graph = grimp.build_graph(*LAYERS, include_external_packages=True, cache_dir=None)
    rules = check(graph)
    for rule in rules:
        print(f"{rule.name}: {'BROKEN' if rule.broken_by else 'kept'}")
        for line in rule.broken_by:
            print(f"    {line}")
    print(f"{len(graph.modules)} modules, {sum(1 for r in rules if r.broken_by)} of {len(rules)} rules broken")
    return 1 if any(rule.broken_by for rule in rules) else 0


if __name__ == "__main__":
    sys.exit(main())
