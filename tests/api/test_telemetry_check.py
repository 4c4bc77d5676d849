"""api/telemetry.quiet answers True only where FastAPI's own ``NativeTelemetry.enabled()`` answers
False, and the Hub app still lets FastAPI's telemetry observe a request whenever a provider is
there. Each case runs in a fresh interpreter: OpenTelemetry's global providers can be set once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import asyncio, sys
from opentelemetry import _logs, metrics, trace
from fastapi import FastAPI
from pohub.api.telemetry import Hub, quiet

asked = []


class Tracers(trace.TracerProvider):  # a provider that says when FastAPI's telemetry asks it
    def get_tracer(self, *args, **kwargs):
        asked.append("tracer")
        return trace.NoOpTracer()


class Meters(metrics.MeterProvider):
    def get_meter(self, name, *args, **kwargs):
        asked.append("meter")
        return metrics.NoOpMeter(name)


class Loggers(_logs.LoggerProvider):
    def get_logger(self, name, *args, **kwargs):
        asked.append("logger")
        return _logs.NoOpLogger(name)


case = sys.argv[1]
App = Hub if sys.argv[2] == "hub" else FastAPI
telemetry = None
if case == "tracer":
    trace.set_tracer_provider(Tracers())
elif case == "meter":
    metrics.set_meter_provider(Meters())
elif case == "logger":
    _logs.set_logger_provider(Loggers())
elif case == "config":
    telemetry = {"tracer_provider": Tracers()}
elif case == "config off":
    telemetry = {"tracing": False, "metrics": False, "logs": False}
app = App(telemetry=telemetry)

@app.get("/x")
async def x() -> dict:
    return {"ok": True}

scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
         "path": "/x", "raw_path": b"/x", "root_path": "", "query_string": b"", "headers": [(b"host", b"t")],
         "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
sent = []

async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}

async def send(message):
    sent.append(message)

asyncio.run(app(scope, receive, send))
enabled = None if case.startswith("env") else app._native_telemetry.enabled()
print(quiet(app), enabled, bool(asked), sent[0]["status"], sent[1]["body"].decode())
"""


def launch(case: str, app: str = "hub", **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, case, app], env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def run(case: str) -> list[str]:
    done = launch(case)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_nothing_configured_is_quiet_and_fastapi_agrees() -> None:
    assert run("none") == ["True", "False", "False", "200", '{"ok":true}']
    assert run("config off") == ["True", "False", "False", "200", '{"ok":true}']


@pytest.mark.parametrize("case", ["tracer", "meter", "logger", "config"])
def test_a_provider_is_seen_and_fastapis_telemetry_observes_the_request(case: str) -> None:
    assert run(case) == ["False", "True", "True", "200", '{"ok":true}']


@pytest.mark.parametrize(
    "variable", ["OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER", "OTEL_PYTHON_LOGGER_PROVIDER"]
)
def test_a_provider_named_in_the_environment_leaves_the_question_to_fastapi(variable: str) -> None:
    # The named provider does not exist: FastAPI's getter fails to load it. quiet must not answer
    # True (that would skip the load), and the request goes as it goes under plain FastAPI.
    hub = launch("env", **{variable: "no_such_provider"})
    plain = launch("env", "fastapi", **{variable: "no_such_provider"})
    assert hub.stdout.split()[:1] != ["True"]
    assert (hub.returncode, hub.stdout.split()[1:]) == (plain.returncode, plain.stdout.split()[1:])
