"""Database options chosen from the environment (README, config/settings/base.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT_OPTIONS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def options(tmp_path, **env) -> dict:
    """The OPTIONS of the default database as config.settings.base makes them from `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_OPTIONS],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


PG = "postgres://u@127.0.0.1:5432/db"


def test_postgresql_pools_and_prepares_statements_by_default(tmp_path):
    got = options(tmp_path, DATABASE_URL=PG)
    assert got == {"pool": True, "server_side_binding": True, "prepare_threshold": 5}


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"DATABASE_SERVER_SIDE_BINDING": "false"}, {"pool": True}),
        ({"DATABASE_POOL": "0"}, {"pool": False, "server_side_binding": True}),
    ],
)
def test_each_can_be_turned_off_for_a_pooler_in_front(tmp_path, env, expected):
    got = options(tmp_path, DATABASE_URL=PG, **env)
    assert {k: got.get(k) for k in expected} == expected
    if "server_side_binding" not in expected:
        assert "server_side_binding" not in got and "prepare_threshold" not in got


def test_sqlite_gets_none_of_them(tmp_path):
    got = options(tmp_path)
    assert "pool" not in got and "server_side_binding" not in got
    assert got["transaction_mode"] == "IMMEDIATE"
