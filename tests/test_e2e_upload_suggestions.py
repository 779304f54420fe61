"""Metadata read from uploaded data files, offered in the deposit form as suggestions, in Debian's
chromium (Playwright): a netCDF, a GeoTIFF, a GeoPackage and a CSV written by the test with the
readers' own libraries (as in tests/test_extraction.py) are sent together through the form's tus
widget; each file's suggestions name it; "use" saves one through the autosave without losing what
was typed, "ignore" hides one for good, and a renamed file's suggestions name it as it is now.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schemas.examples import minimal_example
from tests.test_e2e_deposit import PASSWORD, check_page, sign_in, wait_saved

pytestmark = pytest.mark.e2e

rasterio = pytest.importorskip("rasterio")
pytest.importorskip("netCDF4")
pytest.importorskip("pyogrio")

# Bounding boxes the test put in each file (west, east, south, north), as the form shows them.
NC_BOX = (-5.3, -4.4, 47.9, 48.6)  # ACDD geospatial_* attributes of tests.test_extraction
TIF_BOX = (1.0, 2.0, 44.0, 45.0)  # 10 x 10 pixels of 0.1 degree from (1 E, 45 N)
GPKG_BOX = (-1.55, 5.37, 43.3, 48.85)  # Paris, Marseille, Nantes
CSV_BOX = (-4.5, -4.4, 48.1, 48.6)
CSV = b"latitude,longitude,time\n48.1,-4.5,2019-01-01\n48.6,-4.4,2019-06-30\n"


def write_files(folder: Path) -> dict[str, Path]:
    from affine import Affine

    from tests.test_extraction import write_netcdf, write_vector

    tif = folder / "dem.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="int16",
        crs="EPSG:4326",
        transform=Affine(0.1, 0.0, 1.0, 0.0, -0.1, 45.0),
    ) as dst:
        dst.write(np.zeros((1, 10, 10), dtype="int16"))
    csv = folder / "stations.csv"
    csv.write_bytes(CSV)
    return {
        "buoys.nc": write_netcdf(folder / "buoys.nc", "NETCDF4"),
        "dem.tif": tif,
        "sites.gpkg": write_vector(folder / "sites.gpkg", "GPKG"),
        "stations.csv": csv,
    }


def box_text(box: tuple[float, float, float, float]) -> list[str]:
    sides = ("West longitude", "East longitude", "South latitude", "North latitude")
    return [f"Bounding box: West longitude {box[0]}, "] + [
        f"{side} {value}" for side, value in zip(sides, box, strict=True)
    ]


def bbox(box: tuple[float, float, float, float]) -> dict[str, float]:
    return dict(zip(("west", "east", "south", "north"), box, strict=True))


def test_four_data_files_suggest_their_bounding_boxes(factory, live_server, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("suggest@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    files = write_files(tmp_path)
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "suggest@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    page.set_input_files("#\\/file", [str(p) for p in files.values()])

    # Each file, once stored and read, offers its bounding box, saying where it comes from.
    for name, box in (
        ("buoys.nc", NC_BOX),
        ("dem.tif", TIF_BOX),
        ("sites.gpkg", GPKG_BOX),
        ("stations.csv", CSV_BOX),
    ):
        row = f'#uploads li.upload[data-key="{name}"] li.proposal[data-field="spatial_extents"]'
        page.wait_for_selector(row, timeout=60_000)
        text = page.inner_text(row)
        assert text.startswith("Spatial extents: "), text
        for part in box_text(box):
            assert part in text, (name, part, text)
        assert f"from {name}: " in text, text
        assert page.locator(f"{row} button", has_text="Use").count() == 1
        assert page.locator(f"{row} button", has_text="Ignore").count() == 1
    check_page(page, "edit-upload-four-formats")

    # "Ignore" hides the GeoTIFF's box, and only it.
    tif_row = '#uploads li.upload[data-key="dem.tif"] li.proposal[data-field="spatial_extents"]'
    page.click(f"{tif_row} button[data-ignore]")
    assert page.query_selector(tif_row) is None
    assert page.query_selector(
        '#uploads li.upload[data-key="sites.gpkg"] li.proposal[data-field="spatial_extents"]'
    )

    # A value typed and not yet saved, then "use" on the netCDF's box: both are saved, the box
    # is added to the extents (nothing replaced), and the form shows both after its reload.
    abstract = "Hourly temperature at three buoys, typed before using a suggestion."
    page.fill('[name="/abstracts/0/text"]', abstract)
    with page.expect_navigation(timeout=30_000):  # saved, then the form reloads to show it
        page.click(
            '#uploads li.upload[data-key="buoys.nc"] li.proposal[data-field="spatial_extents"] button[data-use]'
        )
    wait_saved(page)
    stored = producer.get(f"/api/records/{rid}/draft").json["metadata"]
    assert stored["abstracts"][0]["text"] == abstract
    assert [e["bbox"] for e in stored["spatial_extents"]] == [bbox(NC_BOX)]
    assert page.input_value('[name="/abstracts/0/text"]') == abstract
    assert page.input_value('[name="/spatial_extents/0/bbox/west"]') == "-5.3"

    # After the reload the stored files offer what is left: not the used box, not the ignored one.
    gpkg_row = '#file-list li.file[data-key="sites.gpkg"] li.proposal[data-field="spatial_extents"]'
    page.wait_for_selector(gpkg_row, timeout=30_000)
    page.wait_for_selector(
        '#file-list li.file[data-key="stations.csv"] li.proposal[data-field="spatial_extents"]'
    )
    page.wait_for_selector('#file-list li.file[data-key="dem.tif"] li.proposal', timeout=30_000)
    assert (
        page.query_selector(
            '#file-list li.file[data-key="buoys.nc"] li.proposal[data-field="spatial_extents"]'
        )
        is None
    )
    assert (
        page.query_selector(
            '#file-list li.file[data-key="dem.tif"] li.proposal[data-field="spatial_extents"]'
        )
        is None
    )

    # A second "use" appends the GeoPackage's box after the one already there, and a value typed
    # meanwhile in the first extent's box is kept.
    page.fill('[name="/spatial_extents/0/bbox/north"]', "48.7")
    with page.expect_navigation(timeout=30_000):
        page.click(f"{gpkg_row} button[data-use]")
    wait_saved(page)
    stored = producer.get(f"/api/records/{rid}/draft").json["metadata"]
    assert [e["bbox"] for e in stored["spatial_extents"]] == [
        {**bbox(NC_BOX), "north": 48.7},
        bbox(GPKG_BOX),
    ]
    assert page.input_value('[name="/spatial_extents/0/bbox/north"]') == "48.7"
    assert page.input_value('[name="/spatial_extents/1/bbox/east"]') == "5.37"

    # Renamed, the CSV's suggestions name it by its new name.
    item = '#file-list li.file[data-key="stations.csv"]'
    page.wait_for_selector(f"{item} li.proposal", timeout=30_000)
    page.click(f"{item} details.file-actions > summary")
    page.fill(f"{item} input[name=new_key]", "iroise/buoys 2019.csv")
    page.press(f"{item} input[name=new_key]", "Enter")
    renamed_row = (
        '#file-list li.file[data-key="iroise/buoys 2019.csv"] li.proposal[data-field="spatial_extents"]'
    )
    page.wait_for_selector(renamed_row, timeout=30_000)
    text = page.inner_text(renamed_row)
    assert "from buoys 2019.csv: " in text and "stations.csv" not in text, text
    check_page(page, "edit-suggestions-after-rename")
    context.close()
