"""Which files and functions are tests: the patterns behind FPR502–FPR504.

A *test* is a function whose name matches ``--fpr-test-functions`` (default
``test_*``) in a file whose name matches ``--fpr-test-files`` (default
``test_*.py,*_test.py``).  A *fixture* is a function decorated with
``@pytest.fixture`` (or ``pytest_asyncio.fixture``, under any alias) in a test file
or a ``conftest.py``.  ``Plugin.parse_options`` stores the configured patterns here
(flake8 runs it in every worker process too); rules read :func:`configured`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

DEFAULT_TEST_FILES = ("test_*.py", "*_test.py")
DEFAULT_TEST_FUNCTIONS = ("test_*",)
#: pytest's fixed name for shared fixture modules
CONFTEST = "conftest.py"
#: folders whose modules are test support code (FPR504 reads their fixtures)
TEST_DIRECTORIES = frozenset({"tests", "test"})

FIXTURE_DECORATORS = frozenset(
    {
        "pytest.fixture",
        "_pytest.fixtures.fixture",
        "pytest_asyncio.fixture",
        "pytest_asyncio.plugin.fixture",
    }
)


@dataclass(frozen=True)
class TestPatterns:
    """``fnmatch`` patterns for test file names and test function names."""

    __test__ = False  # not a pytest test class

    files: tuple[str, ...] = DEFAULT_TEST_FILES
    functions: tuple[str, ...] = DEFAULT_TEST_FUNCTIONS

    def is_test_file(self, filename: str) -> bool:
        """The base name matches, or the whole path does (``*/tests/*.py``)."""
        path = filename.replace("\\", "/")
        base = path.rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatchcase(base, pattern) or fnmatch.fnmatchcase(path, pattern)
            for pattern in self.files
        )

    def is_fixture_file(self, filename: str) -> bool:
        path = filename.replace("\\", "/")
        return path.rsplit("/", 1)[-1] == CONFTEST or self.is_test_file(filename)

    def in_test_directory(self, filename: str) -> bool:
        """Under a ``tests/`` or ``test/`` folder (fixture plugins, ``tests/database.py``)."""
        parts = filename.replace("\\", "/").split("/")
        return any(part in TEST_DIRECTORIES for part in parts[:-1])

    def is_test_code(self, filename: str) -> bool:
        """A test module, ``conftest.py`` or anything under a ``tests/``/``test/`` folder."""
        return self.is_fixture_file(filename) or self.in_test_directory(filename)

    def is_test_function(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.functions)


_configured = TestPatterns()


def configure(
    files: list[str] | tuple[str, ...] | None, functions: list[str] | tuple[str, ...] | None
) -> TestPatterns:
    """Set the patterns every rule instance reads from now on (empty or None: the default)."""
    global _configured
    _configured = TestPatterns(
        tuple(p for p in files or () if p) or DEFAULT_TEST_FILES,
        tuple(p for p in functions or () if p) or DEFAULT_TEST_FUNCTIONS,
    )
    return _configured


def configured() -> TestPatterns:
    return _configured
