"""README.md and docs/*.md are written for users: short, current, and free of how the project was
made."""

import re

import pytest

from tests.conftest import REPO

README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))

MAX_README_LINES = 300

# Phrases that tell where, when or how the project was developed (a machine it was tried on, a
# working session, earlier presets, measurements still missing, task numbers) rather than what a
# user needs. A user's page states what the workflow does and numbers with the machine they were
# measured on; history belongs in the git log. Matched case-insensitively, anywhere in the text.
DEVELOPMENT_HISTORY_PHRASES = (
    "VM where",
    "working session",
    "last tried",
    "before and after",
    "here yet",
    "recorded here",
    "70 s here",
    "allowed",
    "old preset",
    "this stop",
    "session",
    "issue",
    "two builds both",
    "has not been measured",
    "no run of it",
)


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda path: path.name)
def test_user_pages_do_not_tell_the_development_history(page):
    text = page.read_text().lower()
    found = [phrase for phrase in DEVELOPMENT_HISTORY_PHRASES if phrase.lower() in text]
    assert found == [], f"{page.relative_to(REPO)} says {found}"


def test_the_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines < MAX_README_LINES, f"README.md has {lines} lines"


def test_links_to_local_pages_resolve():
    for page in [README, *DOCS]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links to {target}"


def test_the_readme_shows_the_commands_ci_runs():
    """.ci/run runs the README's test and style-check commands, verbatim."""
    commands = [
        line
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.startswith(".") and not line.startswith(".ci")
    ]
    assert commands, ".ci/run runs no command"
    readme = README.read_text().splitlines()
    for command in commands:
        assert command in readme, f"README.md no longer shows: {command}"
