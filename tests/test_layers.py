"""The packages' layers, as docs/architecture.md draws them: a module imports only from its
own package or from a lower layer, so a change to a layer cannot break one beneath it, and
``queries``/``geo`` never import Streamlit. The test reads every import statement of the
project's own code (including imports inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module belongs to the longest prefix that names it.
LAYERS = {
    "queries.store.config": 0,
    "queries.store.clock": 0,
    "queries.store": 1,
    "queries.engine.registry": 2,
    "queries.engine.stats": 2,
    "queries.engine.period": 2,
    "queries.engine.verdict": 2,
    "queries.formats": 2,
    "queries.analytics": 3,
    "queries.engine.indicators": 4,
    "queries.ingest": 5,
    "queries.services": 5,
    "queries.demo": 6,
    "geo": 7,
    "dashboard": 8,
    "pages": 9,
}
OURS = ("queries", "geo", "dashboard", "pages")
# Code that reads data must not know about the page framework, and pages hold no SQL.
FORBIDDEN = {"queries": ("streamlit",), "geo": ("streamlit",), "pages": ("sqlalchemy",)}


def _owner(module: str) -> str | None:
    names = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return max(names, key=len) if names else None


def _package(module: str) -> str:
    """The sub-package a module belongs to (``queries.engine``, ``geo``, ``pages``…)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "queries" else parts[0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from queries.engine import registry` imports the module queries.engine.registry
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _sources() -> list[Path]:
    return sorted(p for top in OURS for p in (ROOT / top).rglob("*.py"))


def test_the_layers_cover_every_module():
    """Every module has a layer, but for the __init__ of a package whose modules sit in
    several layers (queries, queries.engine), which may then import nothing of ours."""
    for path in _sources():
        if _owner(_module_name(path)) is None:
            assert path.name == "__init__.py", f"{path} is in no layer"
            assert not [t for _, t in _imports(path) if t.split(".")[0] in OURS], path


@pytest.mark.parametrize(
    "path", [p for p in _sources() if _owner(_module_name(p))], ids=lambda p: str(p.relative_to(ROOT))
)
def test_a_module_imports_only_its_own_package_or_lower_layers(path):
    me = _module_name(path)
    mine = LAYERS[_owner(me)]
    wrong = []
    for line, target in _imports(path):
        top = target.split(".")[0]
        if top in FORBIDDEN.get(me.split(".")[0], ()):
            wrong.append(f"line {line}: {target}")
        owner = _owner(target) if top in OURS else None
        if owner is None or _package(target) == _package(me):
            continue
        if LAYERS[owner] >= mine:
            wrong.append(f"line {line}: {target} (layer {LAYERS[owner]}, this module's is {mine})")
    assert not wrong, f"{me} imports above itself: " + "; ".join(wrong)
