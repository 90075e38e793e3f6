"""Settings of the abuse limits (§17): production passes `check --deploy` with them, and the
client's address behind TRUSTED_PROXY_COUNT proxies (README) cannot be chosen by the client."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from config.settings.base import client_address_settings

ROOT = Path(__file__).resolve().parent.parent


def run(code_or_args, tmp_path, **env):
    # Not the test run's own switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    own = {"TRUSTED_PROXY_COUNT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in own}
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "urge.example.com",
            "VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_check_deploy(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.TRUSTED_PROXY_COUNT, s.AXES_IPWARE_PROXY_COUNT, "
    "s.AXES_IPWARE_META_PRECEDENCE_ORDER[0], *s.MIDDLEWARE)"
)


def test_production_trusts_one_proxy_unless_told_otherwise(tmp_path):
    proxies, ipware_count, first_header, *middleware = run(PRINT, tmp_path).stdout.split()
    assert (proxies, ipware_count, first_header) == ("1", "0", "HTTP_X_FORWARDED_FOR")
    direct = run(PRINT, tmp_path, TRUSTED_PROXY_COUNT="0").stdout.split()
    assert direct[:3] == ["0", "None", "REMOTE_ADDR"]
    # Axes turns a refused login into the lockout page after authentication has run; the
    # policy header is added outside it, so that page carries it too.
    order = middleware.index
    axes = order("axes.middleware.AxesMiddleware")
    assert order("django.contrib.auth.middleware.AuthenticationMiddleware") < axes
    assert order("config.csp.PlainPolicyCSPMiddleware") < axes


CLIENT, PROXY, SPOOF = "203.0.113.7", "10.0.0.2", "198.51.100.66"


@pytest.mark.parametrize(
    "proxies, meta, expected",
    [
        (0, {"HTTP_X_FORWARDED_FOR": SPOOF}, PROXY),  # no proxy: the header is anyone's
        (1, {"HTTP_X_FORWARDED_FOR": CLIENT}, CLIENT),
        (1, {"HTTP_X_FORWARDED_FOR": f"{SPOOF}, {CLIENT}"}, CLIENT),
        (1, {}, PROXY),  # a request that did not come through the proxy
        (2, {"HTTP_X_FORWARDED_FOR": f"{SPOOF}, {CLIENT}, 10.0.0.1"}, CLIENT),
    ],
)
def test_the_client_address_is_the_one_our_outermost_proxy_saw(settings, proxies, meta, expected):
    for name, value in client_address_settings(proxies).items():
        setattr(settings, name, value)
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **meta)
    assert get_client_ip_address(request) == expected


def test_a_negative_proxy_count_is_refused():
    with pytest.raises(ValueError):
        client_address_settings(-1)
