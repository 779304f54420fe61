"""The dependency direction app → curation → extraction → exports → schemas → vocabularies, enforced.

A package imports only packages to its right; the inner five never import Flask, SQLAlchemy
or the app; rdflib only in vocabularies.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["app", "curation", "extraction", "exports", "schemas", "vocabularies"]
WEB_OR_DB = {"flask", "flask_login", "sqlalchemy", "alembic", "werkzeug", "psycopg"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ORDER[1:])
def test_inner_packages_import_only_to_their_right(package: str) -> None:
    forbidden = set(ORDER[: ORDER.index(package)]) | WEB_OR_DB
    if package != "vocabularies":
        forbidden.add("rdflib")
    offenders = {
        str(path.relative_to(ROOT)): sorted(imports_of(path) & forbidden)
        for path in sources(package)
        if imports_of(path) & forbidden
    }
    assert offenders == {}


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom app.models import Record\nfrom . import sibling\n")
    assert imports_of(bad) == {"flask", "app"}
