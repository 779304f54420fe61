"""curation.diff: what changed between two submissions (pure, no database)."""

from __future__ import annotations

from curation.diff import file_changes, metadata_changes


def test_leaf_changes_in_document_order_with_kinds() -> None:
    before = {
        "titles": [{"text": "Sol"}],
        "abstracts": [{"text": "Daily."}],
        "spatial_extents": [{"bbox": {"west": -1.0, "east": 0.5, "south": 46.0, "north": 47.0}}],
        "keywords": [{"terms": ["a", "b"]}],
    }
    after = {
        "titles": [{"text": "Sol"}],
        "abstracts": [{"text": "Daily, by TDR probes."}],
        "spatial_extents": [{"bbox": {"west": -0.2, "east": 0.5, "south": 46.0, "north": 47.0}}],
        "keywords": [{"terms": ["a"]}],
        "version": "2",
    }
    changes = metadata_changes(before, after)
    assert [(c.pointer, c.before, c.after, c.kind) for c in changes] == [
        ("/abstracts/0/text", "Daily.", "Daily, by TDR probes.", "changed"),
        ("/keywords/0/terms/1", "b", None, "removed"),
        ("/spatial_extents/0/bbox/west", -1.0, -0.2, "changed"),
        ("/version", None, "2", "added"),
    ]
    assert metadata_changes(after, after) == []


def test_a_new_list_item_shows_as_its_leaves_and_pointers_are_escaped() -> None:
    changes = metadata_changes({"creators": []}, {"creators": [{"name": "Martin", "a/b~": 1}]})
    assert [c.pointer for c in changes] == ["/creators/0/a~1b~0", "/creators/0/name"]
    assert all(c.kind == "added" for c in changes)


def test_files_added_removed_and_changed_by_checksum() -> None:
    diff = file_changes({"a.nc": "1", "b.csv": "2", "c.txt": "3"}, {"a.nc": "1", "b.csv": "9", "d.nc": "4"})
    assert (diff.added, diff.removed, diff.changed) == (["d.nc"], ["c.txt"], ["b.csv"])
    assert not file_changes({"a": "1"}, {"a": "1"})
