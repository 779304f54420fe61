"""vocabularies.identifiers: checksums, normalised forms, scheme detection."""

from __future__ import annotations

import pytest

from vocabularies import identifiers as ids


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("http://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("orcid:0000000218250097", "0000-0002-1825-0097"),
        ("  0000-0002-1694-233x ", "0000-0002-1694-233X"),  # check digit X (value 10)
        ("0000-0001-5109-3700", "0000-0001-5109-3700"),
    ],
)
def test_orcid_valid_forms_are_normalised(value: str, expected: str) -> None:
    assert ids.normalize_orcid(value) == expected


def test_orcid_wrong_check_digit_is_named() -> None:
    with pytest.raises(ValueError, match=r"^ORCID 0000-0002-1825-0098 has a wrong check digit$"):
        ids.normalize_orcid("https://orcid.org/0000-0002-1825-0098")


@pytest.mark.parametrize("value", ["0000-0002-1825", "abcd-0002-1825-0097", "0000-0002-1825-00977"])
def test_orcid_bad_syntax(value: str) -> None:
    with pytest.raises(ValueError, match="is not an ORCID iD"):
        ids.normalize_orcid(value)


def test_iso7064_check_characters() -> None:
    # Worked values: ORCID documentation examples.
    assert ids.iso7064_mod11_2("000000021825009") == "7"
    assert ids.iso7064_mod11_2("000000021694233") == "X"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://ror.org/02feahw73", "https://ror.org/02feahw73"),  # CNRS
        ("02FEAHW73", "https://ror.org/02feahw73"),
        ("ror.org/05q3vnk25", "https://ror.org/05q3vnk25"),  # IRD
        ("http://ror.org/044jxhp58", "https://ror.org/044jxhp58"),  # Ifremer
    ],
)
def test_ror_valid(value: str, expected: str) -> None:
    assert ids.normalize_ror(value) == expected


def test_ror_wrong_checksum() -> None:
    with pytest.raises(ValueError, match=r"^ROR id https://ror.org/02feahw74 has a wrong checksum$"):
        ids.normalize_ror("https://ror.org/02feahw74")


@pytest.mark.parametrize(
    "value", ["https://ror.org/12feahw73", "02feahu73", "02feahw7", "https://example.org/02feahw73"]
)
def test_ror_bad_form(value: str) -> None:
    # must start with 0; "u" is not Crockford base32; 2 check digits; ror.org host
    with pytest.raises(ValueError, match="is not a ROR id"):
        ids.normalize_ror(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.5281/ZENODO.123", "10.5281/zenodo.123"),
        ("doi:10.5281/zenodo.123", "10.5281/zenodo.123"),
        ("https://doi.org/10.17882/42182", "10.17882/42182"),
        ("http://dx.doi.org/10.1000/ABC", "10.1000/abc"),
    ],
)
def test_doi(value: str, expected: str) -> None:
    assert ids.normalize_doi(value) == expected


@pytest.mark.parametrize("value", ["10.12/x", "11.1234/x", "10.1234", "doi:10.1234/"])
def test_doi_invalid(value: str) -> None:
    with pytest.raises(ValueError, match="is not a DOI"):
        ids.normalize_doi(value)


def test_handle_ark_igsn_url_isni() -> None:
    assert ids.normalize_handle("hdl:20.500.12345/abc") == "20.500.12345/abc"
    assert ids.normalize_handle("https://hdl.handle.net/11858/00-1") == "11858/00-1"
    assert ids.normalize_ark("ark:12148/btv1b8449691v") == "ark:/12148/btv1b8449691v"
    assert ids.normalize_ark("https://n2t.net/ark:/13030/tqb3kh97gh8w") == "ark:/13030/tqb3kh97gh8w"
    assert ids.normalize_igsn("igsn:iecur0097") == "IECUR0097"
    assert ids.normalize_igsn("https://doi.org/10.58052/IEXYZ0001") == "10.58052/iexyz0001"
    assert ids.normalize_url(" https://example.org/a ") == "https://example.org/a"
    assert ids.normalize_isni("0000 0001 2103 2683") == "0000000121032683"
    for func, bad, message in [
        (ids.normalize_handle, "abc/def", "is not a Handle"),
        (ids.normalize_ark, "ark:/12/x", "is not an ARK"),
        (ids.normalize_igsn, "a", "is not an IGSN"),
        (ids.normalize_url, "ftp://example.org/x", "is not a URL"),
        (ids.normalize_url, "https://exa mple.org", "contains spaces"),
        (ids.normalize_isni, "0000 0001 2103 2684", "has a wrong check digit"),
    ]:
        with pytest.raises(ValueError, match=message):
            func(bad)


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("0000-0002-1825-0097", "ORCID"),
        ("0000-0002-1825-0098", None),  # wrong check digit: not recognised
        ("https://orcid.org/0000-0002-1825-0097", "ORCID"),
        ("02feahw73", "ROR"),
        ("https://ror.org/02feahw73", "ROR"),
        ("0000000121032683", "ISNI"),
        ("10.5281/zenodo.1", "DOI"),
        ("doi:10.5281/zenodo.1", "DOI"),
        ("https://doi.org/10.5281/zenodo.1", "DOI"),
        ("hdl:11858/00-1", "Handle"),
        ("20.500.123/abc", "Handle"),
        ("ark:/12148/bpt6k1", "ARK"),
        ("igsn:IECUR0097", "IGSN"),
        ("https://example.org/page", "URL"),
        ("just words", None),
    ],
)
def test_detect_scheme(value: str, scheme: str | None) -> None:
    assert ids.detect_scheme(value) == scheme


def test_identifier_url() -> None:
    assert ids.identifier_url("DOI", "10.5281/zenodo.1") == "https://doi.org/10.5281/zenodo.1"
    assert ids.identifier_url("ORCID", "0000-0002-1825-0097") == "https://orcid.org/0000-0002-1825-0097"
    assert ids.identifier_url("ISBN", "978-3-16-148410-0") is None
