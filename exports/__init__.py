"""Crosswalks between the canonical record and each metadata standard (plain Python)."""

from exports.registry import Format, ImportError_, ImportResult, by_media_type, formats, get_format

__all__ = ["Format", "ImportError_", "ImportResult", "by_media_type", "formats", "get_format"]
