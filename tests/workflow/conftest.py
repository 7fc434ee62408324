import pytest


def pytest_collection_modifyitems(items):
    """Every test here runs the real workflow (seconds to minutes): marked slow."""
    for item in items:
        if "workflow" in item.path.parts:
            item.add_marker(pytest.mark.slow)
