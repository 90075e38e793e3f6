"""§15: private receivers are refused under the production settings unless
WEBHOOKS_ALLOW_PRIVATE=true; the development and test settings allow them by default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def allowed(settings_module: str, tmp_path, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "WEBHOOKS_ALLOW_PRIVATE"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.WEBHOOKS_ALLOW_PRIVATE)",
        ],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "SECRET_KEY": "x" * 50,
            "VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    "module, env, expected",
    [
        ("config.settings.production", {}, "False"),
        ("config.settings.production", {"WEBHOOKS_ALLOW_PRIVATE": "true"}, "True"),
        ("config.settings.dev", {}, "True"),
        ("config.settings.test", {}, "True"),
    ],
)
def test_private_receivers_by_settings(tmp_path, module, env, expected):
    assert allowed(module, tmp_path, **env) == expected
