"""Hostile SKOS files: entity expansion, external entities, deep nesting in every syntax,
oversize. Each is refused within a second with an error naming the file (parser, CLI, API),
never a traceback, and nothing is stored. The files are generated here, a few KB each."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.cli import main as cli
from app.db import new_session
from app.models import VocabularyConcept, VocabularyScheme
from vocabularies.skos import MAX_DEPTH, SkosError, parse_skos

EX = "http://example.org/vocab"
RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:skos="http://www.w3.org/2004/02/skos/core#"'
DEEP = 100_000


def billion_laughs() -> str:
    # 1 KB: eight levels of ten references; &a5; alone expands to 2 MB of text.
    ents = ['<!ENTITY a0 "xxxxxxxxxxxxxxxxxxxx">'] + [
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 9)
    ]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ {" ".join(ents)} ]>\n<rdf:RDF {RDF_NS}>\n'
        f'<skos:Concept rdf:about="{EX}/c"><skos:prefLabel>&a8;</skos:prefLabel></skos:Concept></rdf:RDF>\n'
    )


def external_entity() -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>\n'
        f'<rdf:RDF {RDF_NS}><skos:Concept rdf:about="{EX}/c"><skos:prefLabel>&secret;</skos:prefLabel>'
        "</skos:Concept></rdf:RDF>\n"
    )


def external_dtd() -> str:
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "http://example.org/evil.dtd">\n'
        f'<rdf:RDF {RDF_NS}><skos:Concept rdf:about="{EX}/c"/></rdf:RDF>\n'
    )


def deep_rdfxml(depth: int) -> str:
    # Nested property elements and node elements, the RDF/XML striped syntax.
    opening = f'<rdf:Description rdf:about="{EX}/x"><skos:related>' * (depth // 2)
    closing = "</skos:related></rdf:Description>" * (depth // 2)
    return f'<rdf:RDF {RDF_NS}><skos:Concept rdf:about="{EX}/c"/>{opening}{closing}</rdf:RDF>\n'


def deep_jsonld(depth: int) -> str:
    concept = '{"@id": "%s/c", "@type": "http://www.w3.org/2004/02/skos/core#Concept", "x": ' % EX  # noqa: UP031
    return concept + "[" * depth + "]" * depth + "}"


TTL_HEAD = f"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<{EX}/c> a skos:Concept ;\n"


def deep_turtle_blank_nodes(depth: int) -> str:
    return TTL_HEAD + "  skos:note " + "[ skos:note " * depth + '"x"' + " ]" * depth + " .\n"


def deep_turtle_collections(depth: int) -> str:
    return TTL_HEAD + "  skos:note " + "( " * depth + '"x"' + " )" * depth + " .\n"


def hostile(depth: int = DEEP) -> dict[str, tuple[Any, str]]:
    """File name → (text maker, what the error says)."""
    deep = f"nested more than {MAX_DEPTH} levels"
    return {
        "laughs.rdf": (billion_laughs, "entity declarations"),
        "xxe.rdf": (external_entity, "entity declarations"),
        "dtd.rdf": (external_dtd, "external DTD"),
        "deep.rdf": (lambda: deep_rdfxml(depth), deep),
        "deep.jsonld": (lambda: deep_jsonld(depth), deep),
        "deep-blank.ttl": (lambda: deep_turtle_blank_nodes(depth), deep),
        "deep-list.ttl": (lambda: deep_turtle_collections(depth), deep),
    }


HOSTILE = hostile()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_refused_within_a_second(tmp_path: Path, name: str) -> None:
    make, why = HOSTILE[name]
    path = tmp_path / name
    path.write_text(make(), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(SkosError, match=why) as info:
        parse_skos(path, EX)
    assert time.monotonic() - started < 1.0
    assert str(info.value).startswith(name)


def test_billion_laughs_file_is_small(tmp_path: Path) -> None:
    assert len(billion_laughs()) < 1200


@pytest.mark.parametrize(
    "name,make",
    [
        ("ok.rdf", deep_rdfxml),
        ("ok.jsonld", deep_jsonld),
        ("ok-blank.ttl", deep_turtle_blank_nodes),
        ("ok-list.ttl", deep_turtle_collections),
    ],
)
def test_nesting_up_to_the_limit_parses_in_a_thread(tmp_path: Path, name: str, make: Any) -> None:
    # The limit must leave the rdflib parsers room on the stack of a server thread.
    path = tmp_path / name
    depth = MAX_DEPTH - 2 if name.endswith(".rdf") else MAX_DEPTH - 1  # rdf:RDF and skos:Concept levels
    path.write_text(make(depth), encoding="utf-8")
    out: dict[str, Any] = {}

    def parse() -> None:
        try:
            out["vocab"] = parse_skos(path, EX)
        except Exception as exc:  # noqa: BLE001 - reported below
            out["error"] = exc

    thread = threading.Thread(target=parse)
    thread.start()
    thread.join()
    assert "error" not in out, out.get("error")
    assert [c.uri for c in out["vocab"].concepts] == [f"{EX}/c"]


def test_turtle_brackets_in_strings_iris_and_comments_do_not_count(tmp_path: Path) -> None:
    path = tmp_path / "text.ttl"
    noise = "[(" * 200
    path.write_text(
        TTL_HEAD + f'  skos:prefLabel "{noise}"@en ; skos:note """{noise}\n{noise}""" ;\n'
        f"  skos:related <{EX}/{'%5B' * 3}> . # {noise}\n",
        encoding="utf-8",
    )
    assert parse_skos(path, EX).concepts[0].pref_labels == {"en": noise}


def test_long_multiline_label_parses_in_linear_time(tmp_path: Path) -> None:
    # rdflib appended each line of a literal to the previous ones: 900 KB took 13 s.
    label = "ab\n" * 300_000
    path = tmp_path / "long.rdf"
    path.write_text(
        f'<rdf:RDF {RDF_NS}><skos:Concept rdf:about="{EX}/c"><skos:definition xml:lang="en">{label}'
        "</skos:definition></skos:Concept></rdf:RDF>",
        encoding="utf-8",
    )
    started = time.monotonic()
    vocab = parse_skos(path, EX)
    assert time.monotonic() - started < 2.0
    assert vocab.concepts[0].definitions["en"] == " ".join(label.split())


def test_large_xml_literal_refused(tmp_path: Path) -> None:
    path = tmp_path / "literal.rdf"
    path.write_text(
        f'<rdf:RDF {RDF_NS}><skos:Concept rdf:about="{EX}/c"><skos:definition rdf:parseType="Literal">'
        + "<b/>" * 5000
        + "</skos:definition></skos:Concept></rdf:RDF>",
        encoding="utf-8",
    )
    with pytest.raises(SkosError, match="parseType"):
        parse_skos(path, EX)


def test_size_limit_for_every_syntax(tmp_path: Path) -> None:
    for name, text in (
        ("big.ttl", deep_turtle_blank_nodes(2)),
        ("big.rdf", deep_rdfxml(2)),
        ("big.jsonld", deep_jsonld(2)),
    ):
        path = tmp_path / name
        path.write_text(text + " " * 500, encoding="utf-8")
        with pytest.raises(SkosError, match="limit"):
            parse_skos(path, EX, max_bytes=200)


# --- through the CLI and the API ------------------------------------------------------------


def _counts(app: Flask) -> tuple[int, int]:
    with new_session(app) as s:
        return (
            s.scalar(select(func.count()).select_from(VocabularyScheme)) or 0,
            s.scalar(select(func.count()).select_from(VocabularyConcept)) or 0,
        )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_refuses_hostile_file_without_traceback(app: Flask, tmp_path: Path, name: str) -> None:
    make, why = HOSTILE[name]
    path = tmp_path / name
    path.write_text(make(), encoding="utf-8")
    started = time.monotonic()
    result = app.test_cli_runner().invoke(
        cli,
        ["vocab", "import", str(path), "--scheme-uri", EX],
        env={"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]},
    )
    assert time.monotonic() - started < 3.0
    assert result.exit_code == 1
    assert name in result.output and why in result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    assert _counts(app) == (0, 0)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_api_refuses_hostile_file_with_400_naming_the_file(app: Flask, factory: Any, name: str) -> None:
    admin = factory.user("admin@example.org", role="admin")
    # 2,000 levels is as fatal as 100,000 and keeps the body small: werkzeug's test client
    # spools large bodies to a temporary file it never closes (a ResourceWarning here).
    make, why = hostile(2000)[name]
    response = admin.post(
        "/api/vocabularies",
        json=None,
        data={"file": (io.BytesIO(make().encode()), name), "scheme_uri": EX},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["errors"][0]["field"] == "/file"
    assert name in body["errors"][0]["messages"][0] and why in body["errors"][0]["messages"][0]
    assert _counts(app) == (0, 0)


def test_api_imports_a_good_file_for_admins_only(app: Flask, factory: Any) -> None:
    good = (TTL_HEAD + '  skos:prefLabel "Water"@en .\n').encode()
    producer = factory.user("p@example.org")
    denied = producer.post(
        "/api/vocabularies",
        json=None,
        data={"file": (io.BytesIO(good), "v.ttl"), "scheme_uri": EX},
        content_type="multipart/form-data",
    )
    assert denied.status_code == 403
    admin = factory.user("admin@example.org", role="admin")
    missing = admin.post(
        "/api/vocabularies",
        json=None,
        data={"file": (io.BytesIO(good), "v.ttl")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 400 and missing.get_json()["errors"][0]["field"] == "/scheme_uri"
    created = admin.post(
        "/api/vocabularies",
        json=None,
        data={"file": (io.BytesIO(good), "v.ttl"), "scheme_uri": EX, "name": "ocean"},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["id"] == "ocean" and created.get_json()["import"]["created"] == 1
    assert _counts(app) == (1, 1)


def test_cli_oai_set_refuses_deeply_nested_criteria(app: Flask) -> None:
    # The same defect class outside vocabularies: json.loads of deep JSON raised RecursionError.
    criteria = "[" * DEEP + "]" * DEEP
    result = app.test_cli_runner().invoke(
        cli,
        ["oai", "set", "deep", "--name", "Deep", "--criteria", criteria],
        env={"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]},
    )
    assert result.exit_code == 1, result.output
    assert "--criteria nests arrays and objects too deeply" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
