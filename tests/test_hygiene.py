"""Rules every test module keeps (issue 14): no import fallback that could silently drop assertions, and
no hand-managed monkeypatch whose undo a failing fixture could skip."""

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
MODULES = sorted(p for p in TESTS.rglob("*.py") if p.name != "test_hygiene.py")


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"except\s+\(?\s*(ImportError|ModuleNotFoundError)", "an import fallback can empty what a test checks"),
        (r"importorskip", "a missing dependency must fail the suite, not skip it"),
        (r"MonkeyPatch\(\)", "use the monkeypatch fixture or MonkeyPatch.context(): undo is then guaranteed"),
    ],
    ids=["import_fallback", "importorskip", "bare_monkeypatch"],
)
def test_no_test_module_uses(pattern, why):
    offenders = [str(p.relative_to(TESTS)) for p in MODULES if re.search(pattern, p.read_text())]
    assert len(MODULES) > 40
    assert offenders == [], f"{why}: {offenders}"
