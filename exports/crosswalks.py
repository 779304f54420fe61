"""Imports every crosswalk module (named apart from `exports.formats()`, which a submodule would shadow) so that each registers its formats."""

# Crosswalk modules add themselves below (one import line each).
import exports.citation  # noqa: F401,E402
import exports.datacite  # noqa: F401,E402
import exports.dcat  # noqa: F401,E402
import exports.dublincore  # noqa: F401,E402
import exports.iso19115_3  # noqa: F401,E402
import exports.iso19139  # noqa: F401,E402
import exports.oai_datacite  # noqa: F401,E402
import exports.ris  # noqa: F401,E402
import exports.schemaorg  # noqa: F401,E402
