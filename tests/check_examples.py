"""`flake8 --select FPR examples/` shows every registered code at least once.

Run as ``python -m tests.check_examples``; also collected by pytest.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from flake8_fastapi_prod.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent


def codes_in_examples() -> set[str]:
    command = [sys.executable, "-m", "flake8", "--select", "FPR", "examples/"]
    off_by_default = [rule.code for rule in ALL_RULES if rule.default_off]
    if off_by_default:
        # before the path: inserting at 4 would make "--extend-select" the value of --select
        command[-1:-1] = ["--extend-select", ",".join(off_by_default)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return set(re.findall(r": (FPR\d{3}) ", result.stdout))


def missing_codes() -> list[str]:
    found = codes_in_examples()
    return [rule.code for rule in ALL_RULES if rule.code not in found]


def test_examples_show_every_code() -> None:
    assert not missing_codes()


if __name__ == "__main__":
    missing = missing_codes()
    print("missing codes:", ", ".join(missing) if missing else "none")
    sys.exit(1 if missing else 0)
