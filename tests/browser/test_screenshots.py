"""`manage.py screenshots` photographs the demo: pointed at a server holding seed_demo's data, it
finds the demo's ticket and complaint over the API and writes desk-size PNGs."""

import io
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tickets.management.commands.screenshots import SHOTS, SIZES

ROOT = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_each_shot_has_its_own_name_and_a_known_size():
    names = [shot.name for shot in SHOTS]
    assert len(names) == len(set(names))
    assert {shot.size for shot in SHOTS} <= set(SIZES)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_photographs_the_demo(live_server, tmp_path):
    call_command("seed_demo", "--tickets", "0", stdout=io.StringIO(), stderr=io.StringIO())
    # A child process: the command runs its own Playwright; with --url it needs no database.
    names = ["merchant-ticket", "admin-complaint"]
    done = subprocess.run(
        [
            *(sys.executable, "manage.py", "screenshots", "--url", live_server.url),
            *(arg for name in names for arg in ("--only", name)),
            *("--out", str(tmp_path / "docs")),
        ],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    for name in names:
        width, height = png_size(tmp_path / "docs" / f"{name}.png")
        assert width == SIZES["desk"]["width"] and height >= SIZES["desk"]["height"]
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(
        f"{name}.png" for name in names
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_server_without_the_demo_is_refused(live_server, tmp_path):
    """No merchant1 there: the command says so instead of photographing login pages."""
    done = subprocess.run(
        [
            *(sys.executable, "manage.py", "screenshots", "--url", live_server.url),
            *("--only", "merchant-dashboard", "--out", str(tmp_path)),
        ],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode != 0
    assert "could not log in" in done.stderr
    assert not list(tmp_path.glob("*.png"))
