"""Links in the page's prose: every "Figure 3", "Tables 4 and 5", "section 8" and citation "[1]"
becomes a link to what it names, and the first use of each glossary term links to its
definition. Applied, in the order the page is read, to the sentences the report writes (never
inside tables or captions, whose brackets are intervals and footnotes)."""

import re
from collections.abc import Mapping

from markupsafe import Markup, escape

from convstudy.report.glossary import TERMS

_NUMBERS = r"\d+(?:(?:, | and |-|–)\d+)*"
_REFERENCE = rf"\b(?P<noun>Figures?|Tables?|[Ss]ections?) (?P<numbers>{_NUMBERS})\b"
_CITATION = r"\[(?P<citations>\d+(?:, \d+)*)\]"


def _section_ids(sections: Mapping[str, str]) -> dict[str, str]:
    """'1' -> 'edges': the number each numbered section's title starts with, to its id."""
    ids = {}
    for key, title in sections.items():
        number = title.split(".", 1)[0]
        if number.isdigit():
            ids[number] = key
    return ids


def _term_pattern() -> tuple[re.Pattern, dict[str, str]]:
    words = {}
    for key, (_, names, _) in TERMS.items():
        for name in names:
            words[name.lower()] = key
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?P<term>{alternatives})(?![\w-])", re.IGNORECASE), words


class Linker:
    """Called on each sentence in reading order; remembers which terms it has linked. sections:
    the report's sections, key -> title (convstudy.outline.sections)."""

    def __init__(self, sections: Mapping[str, str]):
        self.sections = _section_ids(sections)
        self.term_pattern, self.term_ids = _term_pattern()
        self.pattern = re.compile(f"{_REFERENCE}|{_CITATION}|{self.term_pattern.pattern}", re.I)
        self.linked: set[str] = set()

    def _numbers(self, noun: str, numbers: str) -> str:
        kind = noun.lower().rstrip("s")

        def target(number: str) -> str | None:
            if kind in ("figure", "table"):
                return f"#{kind}-{number}"
            key = self.sections.get(number)
            return f"#{key}" if key else None

        def link(match: re.Match) -> str:
            href = target(match.group(0))
            return f'<a href="{href}">{match.group(0)}</a>' if href else match.group(0)

        return f"{noun} " + re.sub(r"\d+", link, numbers)

    def _replace(self, match: re.Match) -> str:
        if match.group("noun"):
            return self._numbers(match.group("noun"), match.group("numbers"))
        if match.group("citations"):
            cited = ", ".join(
                f'<a href="#reference-{n}">{n}</a>' for n in match.group("citations").split(", ")
            )
            return f"[{cited}]"
        term = match.group("term")
        key = self.term_ids[term.lower()]
        if key in self.linked:
            return term
        self.linked.add(key)
        return f'<a class="term" href="#term-{key}">{term}</a>'

    def __call__(self, text) -> Markup:
        if isinstance(text, Markup):
            return text
        return Markup(self.pattern.sub(self._replace, str(escape(text))))
