"""RIS export (exports/ris.py): one TY - DATA record that reference managers import."""

from __future__ import annotations

from exports import registry
from schemas.examples import rich_example


def test_ris_record_of_the_rich_example() -> None:
    md = rich_example()
    md["abstracts"][0]["text"] = "Line one\nline two"  # a newline must not start a bogus tag
    doc = {
        "id": "abc12-34567",
        "publication_date": "2024-06-01",
        "links": {"self_html": "http://alluvium.test/records/abc12-34567"},
        "pids": {"doi": {"identifier": "10.1234/swp-drift", "provider": "datacite"}},
        "metadata": md,
    }
    fmt = registry.get_format("ris")
    assert fmt.media_type == "application/x-research-info-systems"
    text = fmt.writer(doc).decode()
    lines = text.split("\r\n")
    assert lines[0] == "TY  - DATA" and lines[-2] == "ER  - " and lines[-1] == ""
    tags = [ln[:2] for ln in lines[:-1]]
    assert all(ln[2:6] == "  - " for ln in lines[:-1])
    assert [ln[6:] for ln in lines if ln.startswith("AU")] == [
        "Institut de recherche pour le développement",
        "Carberry, Josiah",
        "Dupont, Marie",
    ]
    assert "TI  - Température et salinité de surface des bouées dérivantes du Pacifique Sud-Ouest" in lines
    assert "PY  - 2024" in lines and "DA  - 2024/06/01" in lines
    assert "DO  - 10.1234/swp-drift" in lines and "UR  - https://doi.org/10.1234/swp-drift" in lines
    assert "AB  - Line one line two" in lines
    assert tags.count("KW") == 5 and "ET  - 1.2.0" in lines and "PB  - ODATIS / Data Terra" in lines
