"""Datasets: on-disk formats, where they come from, and the verified cache training reads."""

from convstudy.data.errors import DataError

__all__ = ["DataError"]
