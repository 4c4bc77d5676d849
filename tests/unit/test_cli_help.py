"""Every command of `pohub` answers --help: its help text is rendered as rich markup, where a stray
'[/...]' is a closing tag and crashes the help screen (`pohub agent acknowledge --help` did)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from pohub.cli.main import app


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``group`` (typer's click commands; typer may ship its own copy of click)."""
    yield path, group
    if hasattr(group, "commands"):
        for name, sub in sorted(group.commands.items()):
            yield from commands(sub, (*path, name))


ALL = list(commands(typer.main.get_command(app)))


def test_the_walk_finds_every_agent_command() -> None:
    names = {" ".join(path) for path, _ in ALL}
    assert {"agent acknowledge", "agent ship", "agent invoice", "agent run", "worker", "migrate", "serve"} <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "pohub" for p, _ in ALL])
def test_help_renders(path: tuple[str, ...], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    assert "Usage:" in result.output
    # Every option is shown, its help text whole (markup would have eaten or broken it).
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            assert param.opts[0] in result.output, param.opts[0]
    if path == ("agent", "acknowledge"):
        assert "0.5/25" in result.output
