"""The merchant pages are ready for a Content-Security-Policy without inline script or style
(§17): scripts are static files, no event-handler attributes, no script bodies, no style
attributes. The product's error pages too."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted((ROOT / "merchant" / "templates").rglob("*.html")) + [
    ROOT / "templates" / name for name in ("403.html", "404.html", "500.html", "error_page.html")
]
INLINE = {
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style", re.IGNORECASE),
    "script without src": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "json_script": re.compile(r"json_script"),
}


def test_templates_have_no_inline_script_or_style():
    assert len(TEMPLATES) > 12
    found = [
        (path.relative_to(ROOT).as_posix(), what)
        for path in TEMPLATES
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_sees_inline_script():
    for sample in ('<a onclick="x()">', '<p style="color:red">', "<script>go()</script>"):
        assert any(p.search(sample) for p in INLINE.values()), sample
    assert not any(p.search('<script src="/static/a.js" defer></script>') for p in INLINE.values())
