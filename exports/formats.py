"""Imports every crosswalk module so that each registers its formats."""
# Crosswalk modules add themselves below (one import line each).
