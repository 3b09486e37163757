"""SPEC.md §3's import rules, checked on the source: one responsibility per package, no
package reaching up into the ones that use it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAY_IMPORT = {
    "store": set(),
    "rules": {"store"},
    "ingest": {"store", "rules"},
    "metrics": {"store"},
    "alerts": {"store", "rules", "metrics"},
    "dashboard": {"store", "rules", "ingest", "metrics", "alerts"},
    "orderwatch": {"store", "rules", "ingest", "metrics", "alerts", "dashboard"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages of ours that ``path`` imports (anywhere in the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(MAY_IMPORT)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_package_imports_only_what_it_may(package: str) -> None:
    allowed = MAY_IMPORT[package] | {package}
    breaches = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - allowed)
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_packages(path) - allowed
    }
    assert breaches == {}
