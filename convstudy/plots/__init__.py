"""Figures of the study, drawn with matplotlib's object API (no pyplot, so no display needed)."""
