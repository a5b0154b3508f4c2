"""``codemods.imports.add_imports`` writes what libcst's ``AddImportsVisitor`` writes.

The codemods replaced the visitor (half the cost of a conversion) with a function that
only reads the module's first statements; every case here runs both and compares the code.
"""

from __future__ import annotations

import libcst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from codemods.imports import Wanted, add_imports

#: what the lifespan and asgi_transport codemods ask for
WANTED: list[Wanted] = [
    ("contextlib", "asynccontextmanager"), ("functools", None), ("inspect", None),
    ("functools", "partial"), ("inspect", "iscoroutinefunction"), ("httpx", None),
]

MODULES = [
    "",
    "x = 1\n",
    '"""Doc."""\n',
    '"""Doc."""\nx = 1\n',
    '"""Doc."""\n\nimport os\n\nx = 1\n',
    "__strict__ = True\nimport os\nx = 1\n",
    "from __future__ import annotations\n\nimport os\nfrom fastapi import FastAPI\n\napp = 1\n",
    "import os\n# a comment\nx = 1\n",
    "import os\n\n# a comment\nx = 1\n",
    "import os\nx = 1\n",
    "# leading comment\nimport os\n\n\ndef f():\n    pass\n",
    "import functools\nimport inspect\nx = 1\n",
    "import functools as ft\nfrom inspect import iscoroutinefunction\nx = 1\n",
    "from contextlib import contextmanager\nx = 1\n",
    "from contextlib import (\n    contextmanager,\n)\nx = 1\n",
    "from contextlib import contextmanager as cm, asynccontextmanager\nx = 1\n",
    "from contextlib import asynccontextmanager as acm\nx = 1\n",
    "from contextlib import *\nfrom functools import *\nx = 1\n",
    "from contextlib import contextmanager\nfrom contextlib import suppress\nx = 1\n",
    "from . import contextlib\nfrom .contextlib import x\ny = 1\n",
    "import os; import functools\nx = 1\n",
    "x = 1\nimport functools\nfrom contextlib import contextmanager\n",
    "if True:\n    import functools\nx = 1\n",
    "try:\n    import httpx\nexcept ImportError:\n    pass\n",
    "import httpx.x\nimport os.path\nx = 1\n",
    '"a" "b"\nimport os\n',
    'f"doc"\nimport os\n',
    '"""Doc."""; import os\nx = 1\n',
    "import os\r\nx = 1\r\n",
    "def f():\n\tpass\n",
    "import functools\n",
]


def _reference(source: str, wanted: list[Wanted]) -> str:
    context = CodemodContext()
    for module, obj in wanted:
        AddImportsVisitor.add_needed_import(context, module, obj)
    return AddImportsVisitor(context).transform_module(libcst.parse_module(source)).code


def _ours(source: str, wanted: list[Wanted]) -> str:
    return add_imports(libcst.parse_module(source), wanted).code


@pytest.mark.parametrize("source", MODULES)
@pytest.mark.parametrize("wanted", [WANTED[:1], WANTED[:3], WANTED[3:5], WANTED[5:], WANTED])
def test_same_code_as_add_imports_visitor(source: str, wanted: list[Wanted]) -> None:
    assert _ours(source, wanted) == _reference(source, wanted)


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.sampled_from([
        "import os", "import functools", "import functools as ft", "from contextlib import "
        "contextmanager", "from contextlib import asynccontextmanager", "from inspect import *",
        "from . import x", '"""Doc."""', "__strict__ = 1", "x = 1", "# comment", "",
        "from functools import partial, wraps", "import inspect, os",
    ]), max_size=8),
    wanted=st.lists(st.sampled_from(WANTED), min_size=1, max_size=6),
)
def test_same_code_on_generated_modules(lines: list[str], wanted: list[Wanted]) -> None:
    source = "".join(line + "\n" for line in lines)
    assert _ours(source, wanted) == _reference(source, wanted)


def test_future_imports_refused() -> None:
    with pytest.raises(ValueError):
        add_imports(libcst.parse_module(""), [("__future__", "annotations")])
