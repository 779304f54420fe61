"""Vocabularies: controlled lists and identifier rules the metadata schema validates against.

No Flask, SQLAlchemy or app imports here (see docs/metadata-profile.md and STYLE.md layering).
"""
