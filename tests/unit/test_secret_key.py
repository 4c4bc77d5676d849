"""The secret key: generated per installation beside the data (mode 0600) when POHUB_SECRET_KEY is not
set, the same on every start and in every process; `pohub serve` refuses the old published default on
an address other than loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from pohub.config import Settings
from pohub.secret_key import LEGACY_DEFAULT, for_database, is_loopback, serving_refusal


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POHUB_SECRET_KEY", raising=False)
    monkeypatch.delenv("POHUB_SECRET_KEY_FILE", raising=False)


def test_a_key_is_generated_beside_the_sqlite_database_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'pohub.db'}"
    first = Settings(database_url=url).secret_key
    path = tmp_path / "data" / "pohub.db.key"
    assert path.read_text().strip() == first and len(first) >= 43  # at least 256 random bits
    assert path.stat().st_mode & 0o777 == 0o600
    assert Settings(database_url=url).secret_key == first  # kept, not made anew
    other = Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}").secret_key
    assert other != first and other != LEGACY_DEFAULT  # one per installation


def test_a_key_that_is_set_wins_and_no_file_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POHUB_SECRET_KEY", "set-by-the-operator-" + "x" * 20)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pohub.db'}")
    assert settings.secret_key == "set-by-the-operator-" + "x" * 20
    assert list(tmp_path.iterdir()) == []


def test_a_server_database_keeps_its_key_in_the_named_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "pohub.key"
    key = Settings(database_url="postgresql://u@db.example/pohub", secret_key_file=path).secret_key
    assert path.read_text().strip() == key


def _key(args: tuple[str, str]) -> str:
    return for_database(args[0], Path(args[1]))


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "shared.key"
    with ProcessPoolExecutor(4) as pool:
        keys = set(pool.map(_key, [("postgresql://u@h/d", str(path))] * 16))
    assert keys == {path.read_text().strip()}
    assert [p.name for p in tmp_path.iterdir()] == ["shared.key"]  # nothing left aside


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)
    assert serving_refusal(LEGACY_DEFAULT, host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "hub.example.com"])
def test_the_old_default_is_refused_beyond_loopback(host: str) -> None:
    assert not is_loopback(host)
    refusal = serving_refusal(LEGACY_DEFAULT, host)
    assert refusal is not None and "POHUB_SECRET_KEY" in refusal and host in refusal
    assert serving_refusal("a-long-random-value-" + "y" * 30, host) is None


def test_pohub_serve_refuses_to_listen_publicly_with_the_old_default(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "POHUB_SECRET_KEY": LEGACY_DEFAULT,
        "POHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'pohub.db'}",
    }
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "pohub"), "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "POHUB_SECRET_KEY" in proc.stdout and "0.0.0.0" in proc.stdout
    assert not (tmp_path / "pohub.db").exists()  # refused before touching anything
