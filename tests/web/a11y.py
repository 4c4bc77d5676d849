"""axe-core in the page under test: every page state the browser tests reach is checked, and a
violation fails the test with its rule, impact and the elements it names.

The script is vendored (tests/fixtures/axe/axe.min.js, from npm) and evaluated through the
browser's own protocol, so the page's strict Content-Security-Policy stays in force.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tests.support import FIXTURES

AXE = FIXTURES / "axe" / "axe.min.js"
# WCAG 2.1 A and AA, and the best practices axe turns on by default.
RUN_OPTIONS = {"resultTypes": ["violations"]}


@lru_cache(maxsize=1)
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source() + "\n;undefined")
    found: list[dict[str, Any]] = page.evaluate(
        "async (options) => (await window.axe.run(document, options)).violations", RUN_OPTIONS
    )
    return found


def describe(found: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v.get('impact')}): {v.get('help')} at " + ", ".join(str(n.get("target")) for n in v["nodes"][:5])
        for v in found
    )


def assert_accessible(page: Any, state: str) -> None:
    found = violations(page)
    assert not found, f"axe-core on {state}:\n{describe(found)}"
