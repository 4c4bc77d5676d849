"""Stoplight Prism for the contract tests: a mock of Logicbroker's published v3 document, or a
validating proxy in front of a pohub server, as real processes on loopback ports.

Prism is installed with npm into tools/prism (``make prism``; the first test does it too when npm is
there). Only where npm cannot be had at all do the tests skip. Every request and answer Prism judges
against the document is read back from its log: ``violations()`` lists each one it refused or flagged.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pohub.core import jsonio
from tests.support import FIXTURES, free_port

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools" / "prism"
BINARY = TOOLS / "node_modules" / ".bin" / "prism"
STAMP = TOOLS / "node_modules" / ".installed"
DOCUMENT = FIXTURES / "reference" / "logicbroker-v3-openapi.json"
_install_lock = threading.Lock()

# Prism's log lines: "[time] > [HTTP SERVER] post /api/v3/Orders (symbol)  error     Request terminated ..."
_LINE = re.compile(
    r"\[(?P<source>[A-Z ]+)\](?P<where>.*?)\s\S\s+(?P<level>info|error|warning|success|start|note|debug|fatal)"
    r"\s+(?P<text>.*)$"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def prism_binary() -> Path:
    """The installed Prism, installing it first if needed; skip only when there is no npm."""
    with _install_lock:
        if BINARY.exists() and STAMP.exists():
            return BINARY
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: the Prism contract tests need it (apt-get install npm)")
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=TOOLS,
            check=True,
            timeout=600,
        )
        STAMP.touch()
        return BINARY


def load_document() -> dict[str, Any]:
    return dict(json.loads(DOCUMENT.read_text(encoding="utf-8")))


def document_for(version: str, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The published document with its paths under ``/api/{version}`` instead of ``/api/v3``: the
    platform serves the same operations under v1, v2 and v3."""
    doc = copy.deepcopy(document or load_document())
    doc["paths"] = {path.replace("/api/v3/", f"/api/{version}/", 1): ops for path, ops in doc["paths"].items()}
    return doc


@dataclass
class Violation:
    source: str
    level: str
    text: str

    def __str__(self) -> str:
        return f"[{self.source}] {self.level}: {self.text}"


@dataclass
class PrismProcess:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def log(self) -> list[tuple[str, str, str, str]]:
        """(source, where, level, text) of every line Prism logged since it started listening."""
        out = []
        for raw in list(self.lines):
            m = _LINE.search(_ANSI.sub("", raw))
            if m:
                out.append((m["source"].strip(), m["where"].strip(), m["level"], m["text"].strip()))
        return out

    def violations(self) -> list[Violation]:
        """Everything Prism found wrong with a request or an answer: its validator's errors and
        warnings (answers not as the document says), and the requests it refused."""
        found = []
        for source, where, level, text in self.log():
            if "__pohub_probe__" in where:
                continue
            if level in ("error", "warning", "fatal") or "violation" in text.lower():
                found.append(Violation(source, level, f"{where} {text}".strip()))
        return found

    def requests(self) -> list[str]:
        """``METHOD /path`` of every request Prism received, in order."""
        log = self.log()
        return [where for source, where, _l, text in log if source == "HTTP SERVER" and "Request received" in text]

    def assert_clean(self) -> None:
        problems = self.violations()
        assert not problems, "Prism found violations of the published document:\n" + "\n".join(map(str, problems))


def _start(args: list[str], *, port: int, timeout: float = 60.0) -> PrismProcess:
    env = {**os.environ, "SCARF_ANALYTICS": "false", "NO_COLOR": "1", "FORCE_COLOR": "0"}
    process = subprocess.Popen(
        [str(prism_binary()), *args, "--host", "127.0.0.1", "--port", str(port), "--errors"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    prism = PrismProcess(f"http://127.0.0.1:{port}", process)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            prism.lines.append(line.rstrip("\n"))
            if "Prism is listening" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError("Prism did not start:\n" + "\n".join(prism.lines[-30:]))
    # The log line comes before the socket takes connections on a busy machine: wait for both.
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{prism.url}/__pohub_probe__", timeout=2)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    prism.lines.clear()
    return prism


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _write(document: dict[str, Any], directory: Path, name: str) -> Path:
    path = directory / name
    path.write_bytes(jsonio.dumps(document))
    return path


@contextmanager
def prism_mock(
    directory: Path, *, document: dict[str, Any] | None = None, dynamic: bool = False, seed: str | None = None
) -> Iterator[PrismProcess]:
    """``prism mock --errors`` of the document (the published one unless given), static or dynamic."""
    path = _write(document or load_document(), directory, f"mock-{free_port()}.json")
    args = ["mock", str(path)]
    if dynamic:
        args.append("--dynamic")
    if seed is not None:
        args += ["--seed", seed]
    prism = _start(args, port=free_port())
    try:
        yield prism
    finally:
        _stop(prism.process)


@contextmanager
def prism_proxy(directory: Path, upstream: str, *, versions: tuple[str, ...] = ("v3",)) -> Iterator[PrismProcess]:
    """``prism proxy --errors`` in front of ``upstream``, validating requests and answers against the
    published document, its paths served under each of ``versions``."""
    base = load_document()
    doc = document_for(versions[0], base)
    for version in versions[1:]:
        doc["paths"].update(document_for(version, base)["paths"])
    path = _write(doc, directory, f"proxy-{free_port()}.json")
    prism = _start(["proxy", str(path), upstream], port=free_port())
    try:
        yield prism
    finally:
        _stop(prism.process)
