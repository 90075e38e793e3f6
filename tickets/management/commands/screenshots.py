"""`manage.py screenshots [--url URL] [--only NAME] [--out DIR]`: the README's pictures,
taken from the demo, so they show what a newcomer's `make run` shows and cannot go stale.

Without --url the command builds a scratch demo: a temporary VAR_DIR with its own SQLite
database, migrated and filled by `seed_demo` in child processes and served by `runserver` on
a free port; the current database is not touched. With --url it photographs a demo already
running there (`make run`'s, on the current database) as it is; it only reads.

Playwright drives the system Chromium (/usr/bin/chromium, or CHROMIUM_PATH), never a
downloaded browser, with the settings the browser tests use. Every picture is one entry of
SHOTS; a page at another size (a phone) is one more entry with its `size`.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",  # the date picker's format follows the browser's own language
]
# A browser in China: Chinese first, the platform's time zone.
BROWSER_CONTEXT = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
SIZES = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "demo-pass-123"  # seed_demo's fixed people (§13)
# The environment a scratch demo must not inherit: it runs on SQLite and the filesystem broker.
NOT_INHERITED = (
    "DATABASE_URL",
    "DATABASE_TEST_NAME",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


@dataclass(frozen=True)
class Shot:
    """docs/<name>.png: `path` seen by `login` at `size`. A path with {id} names the object
    found over the API: the ticket of order `order_no`, or (with `complaint`) its complaint."""

    name: str
    login: str
    path: str
    order_no: str = ""
    complaint: bool = False
    size: str = "desk"
    full_page: bool = True


SHOTS = (
    Shot("merchant-dashboard", "merchant1", "/merchant/"),
    # Agreed with the buyer, second handling open: the page with the most to do.
    Shot("merchant-ticket", "merchant1", "/merchant/tickets/{id}/", order_no="TB-DEMO-0005"),
    Shot("admin-index", "reviewer1", "/admin/"),
    Shot("admin-queue", "reviewer1", "/admin/complaints/complaint/", full_page=False),
    # A buyer-fault claim with its evidence, waiting for a reviewer.
    Shot(
        "admin-complaint",
        "reviewer1",
        "/admin/complaints/complaint/{id}/change/",
        order_no="TB-DEMO-0007",
        complaint=True,
    ),
    # The merchant pages on a phone (§14), as the screen shows them (not the whole page).
    *(
        Shot(f"merchant-phone-{name}", "merchant1", path, size="phone", full_page=False, **more)
        for name, path, more in (
            ("dashboard", "/merchant/", {}),
            ("tickets", "/merchant/tickets/", {}),
            ("ticket", "/merchant/tickets/{id}/", {"order_no": "TB-DEMO-0005"}),
            # Urged two hours ago: a reply is due.
            ("reply", "/merchant/tickets/{id}/reply/", {"order_no": "TB-DEMO-0001"}),
            ("complaints", "/merchant/complaints/", {}),
            # Cannot ship, upheld: the appeal is open.
            (
                "complaint",
                "/merchant/complaints/{id}/",
                {"order_no": "TB-DEMO-0011", "complaint": True},
            ),
        )
    ),
)
LOGIN_PAGES = {"merchant1": "/merchant/login/", "reviewer1": "/admin/login/"}


class Command(BaseCommand):
    help = (
        "Take the README's screenshots (docs/*.png) of a scratch demo, or of the demo running "
        "at --url, with Playwright and the system Chromium."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", help="a running demo to photograph (default: build a scratch demo)"
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=[shot.name for shot in SHOTS],
            help="take only this picture (repeatable)",
        )
        parser.add_argument(
            "--out", type=Path, default=Path(settings.BASE_DIR) / "docs", help="where to write"
        )

    def handle(self, *args, url=None, only=None, out, **options):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            raise CommandError("Playwright is missing: `make install` installs it.") from error
        if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
            raise CommandError(f"No Chromium at {CHROMIUM} (apt-get install chromium).")
        shots = [shot for shot in SHOTS if not only or shot.name in only]
        out.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            if url is None:
                compile_messages()
                url = stack.enter_context(scratch_demo(self.stderr))
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            stack.callback(browser.close)
            pages = {}
            for shot in shots:
                key = (shot.login, shot.size)
                if key not in pages:
                    context = browser.new_context(**BROWSER_CONTEXT, viewport=SIZES[shot.size])
                    pages[key] = log_in(context.new_page(), url.rstrip("/"), shot.login)
                path = take(pages[key], url.rstrip("/"), shot, out)
                self.stdout.write(f"{path}")


def compile_messages():
    """The pages are photographed in Chinese: compile the catalogue when it is stale."""
    po = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return
    if shutil.which("msgfmt") is None:
        raise CommandError("msgfmt is needed for the Chinese pages (apt-get install gettext).")
    call_command("compilemessages", locale=["zh_Hans"], verbosity=0, ignore_patterns=[".venv"])


@contextmanager
def scratch_demo(stderr):
    """A demo of its own: temporary VAR_DIR, SQLite, seeded, served on a free port."""
    var_dir = Path(tempfile.mkdtemp(prefix="urge-screenshots-"))
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev", VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1"
    )
    server = None
    try:
        for args in (("migrate", "--noinput", "-v0"), ("seed_demo", "-v0")):
            stderr.write(f"scratch demo: manage.py {' '.join(args)}")
            manage = [sys.executable, "manage.py", *args]
            done = subprocess.run(
                manage, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
            )
            if done.returncode:
                raise CommandError(f"manage.py {args[0]} failed:\n{done.stderr}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_serving(url, server)
        yield url
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(var_dir, ignore_errors=True)


def wait_until_serving(url, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("the demo's web server stopped while starting")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"the demo's web server did not answer at {url} in {timeout} s")


def log_in(page, base, login):
    page.goto(base + LOGIN_PAGES[login])
    page.fill("#id_username", login)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form:has(#id_password) [type=submit]")
    if page.locator("#id_password").count():
        raise CommandError(f"{login} could not log in at {base}: is this the demo?")
    return page


def api_first_id(page, url) -> int:
    """The first result's id, asked with the page's session (the API accepts it)."""
    response = page.request.get(url)
    if not response.ok:
        raise CommandError(f"GET {url}: {response.status}")
    results = response.json()["results"]
    if not results:
        raise CommandError(f"GET {url}: nothing found; is this the demo?")
    return results[0]["id"]


def take(page, base, shot, out) -> Path:
    path = shot.path
    if "{id}" in path:
        pk = api_first_id(page, f"{base}/api/v1/tickets/?order_no={shot.order_no}")
        if shot.complaint:
            pk = api_first_id(page, f"{base}/api/v1/complaints/?ticket={pk}")
        path = path.format(id=pk)
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)  # the dashboard's chart animates in
    target = out / f"{shot.name}.png"
    page.screenshot(path=str(target), full_page=shot.full_page)
    return target
