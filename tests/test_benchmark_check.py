"""``python -m benchmarks.run --check --quick`` in CI: the plugin and every codemod over
a quarter of the standard library, generated FastAPI services and the bundled examples,
with no exception (no timing is asserted anywhere)."""

from __future__ import annotations

import pytest

from benchmarks.run import main


def test_quick_check_mode_finds_no_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--check", "--quick"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[-1] == "0 failures"
