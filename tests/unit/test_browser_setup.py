"""The browser comes from `make test`'s set-up, not from a test fixture: the pytest target depends on
the browser stamp, and the install script installs, or says why it cannot and lets the tests skip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-browser.sh"


def run_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("sh") or "/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


def test_make_test_sets_up_the_browser_before_pytest() -> None:
    make = shutil.which("make")
    assert make, "make is what runs the tests"
    db = subprocess.run(
        [make, "-pn", "pytest"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=os.environ
    ).stdout
    [pytest_rule] = re.findall(r"^pytest:(.*)$", db, re.MULTILINE)
    assert ".venv/.browser" in pytest_rule.split()
    assert re.search(r"^\.venv/\.browser:.*$\n(?:#.*\n)*\t.*scripts/install-browser\.sh", db, re.MULTILINE), db[-3000:]


def test_a_browser_already_there_is_not_installed_again(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    # No PATH at all: had it tried apt-get (or anything else), it would have failed.
    proc = run_script({"CHROMIUM": str(fake), "PATH": str(tmp_path)})
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stdout + proc.stderr


def test_without_apt_get_it_says_so_and_the_tests_skip(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").symlink_to(shutil.which("id") or "/usr/bin/id")
    proc = run_script({"CHROMIUM": str(tmp_path / "none"), "PATH": str(bin_dir)})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "browser tests will skip" in proc.stdout
