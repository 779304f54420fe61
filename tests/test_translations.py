"""The interface catalogues: every string of the code and templates is in the template
(``messages.pot``), French translates all of it, and the committed ``.mo`` matches its ``.po``."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "app" / "translations"


def _ids(catalog) -> set:  # type: ignore[no-untyped-def]
    return {m.id for m in catalog if m.id}


def test_catalogue_template_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(fresh), "--no-location", "--sort-output", "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with fresh.open("rb") as a, (TRANSLATIONS / "messages.pot").open("rb") as b:
        current, committed = _ids(read_po(a)), _ids(read_po(b))
    assert current == committed, (
        f"new strings {sorted(map(str, current - committed))[:10]}, gone {sorted(map(str, committed - current))[:10]}: "
        "run the commands of docs/operations.md, 'Translations'"
    )


def test_french_is_complete_and_compiled() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        wanted = _ids(read_po(f))
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = read_po(f, locale="fr")
    untranslated = [
        m.id for m in po if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not untranslated, untranslated[:10]
    assert wanted <= _ids(po), sorted(map(str, wanted - _ids(po)))[:10]
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, fuzzy[:10]
    mo = read_mo(io.BytesIO((TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo").read_bytes()))

    def table(catalog):  # type: ignore[no-untyped-def]
        key = lambda v: tuple(v) if isinstance(v, list | tuple) else v  # noqa: E731
        return {key(m.id): key(m.string) for m in catalog if m.id}

    assert table(mo) == table(po), "messages.mo is stale: pybabel compile -d app/translations"
