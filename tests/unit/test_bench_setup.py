"""`make bench` installs wrk first (scripts/install-wrk.sh): present, it does nothing; where it cannot be
installed (no root, or no apt-get) it says why and exits 3 rather than failing obscurely later."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-wrk.sh"


def run_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("sh") or "/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


def test_make_bench_installs_wrk_before_it_runs() -> None:
    make = shutil.which("make")
    assert make
    db = subprocess.run(
        [make, "-pn", "bench"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=os.environ
    ).stdout
    recipe = re.search(r"^bench:.*\n((?:#.*\n)*(?:\t.*\n)+)", db, re.MULTILINE)
    assert recipe, db[-3000:]
    steps = recipe.group(1).splitlines()
    wrk = next(i for i, s in enumerate(steps) if "scripts/install-wrk.sh" in s)
    bench = next(i for i, s in enumerate(steps) if "-m bench" in s)
    assert wrk < bench


def test_wrk_already_there_is_not_installed_again(tmp_path: Path) -> None:
    fake = tmp_path / "wrk"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    # PATH holds only the fake wrk: had the script tried apt-get (or anything else), it would fail.
    proc = run_script({"PATH": str(tmp_path)})
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stdout + proc.stderr


def test_without_apt_get_it_says_why_and_exits_3(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").symlink_to(shutil.which("id") or "/usr/bin/id")
    proc = run_script({"WRK": "no-such-wrk", "PATH": str(bin_dir)})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "apt-get install wrk" in proc.stdout
    assert ("not root" if os.getuid() else "no apt-get") in proc.stdout
