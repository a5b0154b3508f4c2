"""The real ``pylsp`` (python-lsp-server), with its flake8 plugin, shows the FPR findings.

The test speaks the Language Server Protocol over stdio as an editor does: initialize,
send the workspace settings the README documents, open a document full of FPR mistakes
and wait for ``textDocument/publishDiagnostics``. The diagnostics must carry the same
codes, positions and messages as ``flake8`` run on the file.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

TIMEOUT = 30.0
BIN = Path(sys.executable).parent

# the settings README.md gives for Neovim / any pylsp client
SETTINGS = {
    "pylsp": {
        "configurationSources": ["flake8"],
        "plugins": {
            "flake8": {"enabled": True},
            "pycodestyle": {"enabled": False},
            "pyflakes": {"enabled": False},
            "mccabe": {"enabled": False},
        },
    }
}

DOCUMENT = '''\
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("postgresql://db.internal/shop")


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


app = FastAPI(lifespan=lifespan, on_startup=[print])


@app.on_event("shutdown")
def close() -> None:
    ...
'''
FLAKE8_LINE = re.compile(r"^[^:]+:(\d+):(\d+): (\w+) (.*)$")


class LspClient:
    """Just enough of a client: framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        # as from an activated virtual environment: pylsp runs the `flake8` on PATH
        env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            headers: dict[str, str] = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            if not line:
                return
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.send({"method": method, "params": params or {}})

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        reply = self.wait(lambda message: message.get("id") == self.next_id)
        assert "error" not in reply, reply
        return reply

    def wait(self, wanted: Any) -> dict[str, Any]:
        """The first message ``wanted`` accepts; server requests are answered with null."""
        deadline = time.monotonic() + TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})
            if wanted(message):
                return message
        raise AssertionError(f"pylsp sent nothing expected within {TIMEOUT}s")

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit")
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(DOCUMENT, encoding="utf-8")
    return tmp_path


def expected_findings(workspace: Path) -> list[tuple[int, int, str, str]]:
    """(0-based line, 0-based column, code, "CODE message") as flake8 itself reports them."""
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FPR", "app/main.py"],
        cwd=workspace, capture_output=True, text=True, timeout=60, check=False,
    )
    rows = [FLAKE8_LINE.match(line) for line in result.stdout.splitlines()]
    assert rows and all(rows), result.stdout + result.stderr
    return [
        (int(m[1]) - 1, int(m[2]) - 1, m[3], f"{m[3]} {m[4]}") for m in rows if m is not None
    ]


def test_pylsp_publishes_fpr_diagnostics(workspace: Path) -> None:
    pylsp = shutil.which("pylsp", path=str(BIN))
    assert pylsp, "pylsp is not installed: pip install -e '.[test]'"
    expected = expected_findings(workspace)
    assert {code for _, _, code, _ in expected} >= {"FPR101", "FPR102", "FPR103", "FPR104"}

    uri = (workspace / "app" / "main.py").as_uri()
    client = LspClient([pylsp], workspace)
    try:
        client.request("initialize", {
            "processId": None,
            "rootUri": workspace.as_uri(),
            "capabilities": {"textDocument": {"publishDiagnostics": {}}},
        })
        client.notify("initialized")
        client.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": DOCUMENT,
        }})
        published = client.wait(
            lambda message: message.get("method") == "textDocument/publishDiagnostics"
            and message["params"]["uri"] == uri
        )
    finally:
        client.close()

    diagnostics = published["params"]["diagnostics"]
    assert {d["source"] for d in diagnostics} == {"flake8"}
    found = [
        (d["range"]["start"]["line"], d["range"]["start"]["character"], d["code"], d["message"])
        for d in diagnostics
        if d["code"].startswith("FPR")
    ]
    assert sorted(found) == sorted(expected)
    lines = DOCUMENT.splitlines()
    by_code = {code: line for line, _, code, _ in found}
    assert lines[by_code["FPR104"]].startswith("engine = create_engine(")
    assert lines[by_code["FPR102"]].startswith("app = FastAPI(")
    assert lines[by_code["FPR101"]] == "@app.on_event(\"shutdown\")"
