"""The documentation stands alone in a clone: every relative link and image of README.md and
docs/*.md names a file inside the repository that exists. Links with a scheme (https:, mailto:)
and anchors within the page are left alone; code spans and code blocks are not links."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def targets(markdown: str) -> list[str]:
    """Every link's href and image's src, inline or by reference, as a Markdown reader sees
    them (HTML <a>/<img> written by hand are read too)."""
    found = []

    def walk(tokens):
        for token in tokens:
            if token.type == "link_open":
                found.append(token.attrGet("href"))
            elif token.type == "image":
                found.append(token.attrGet("src"))
            elif token.type in {"html_inline", "html_block"}:
                found.extend(html_targets(token.content))
            if token.children:
                walk(token.children)

    walk(MarkdownIt("commonmark").enable("table").parse(markdown))
    return found


def html_targets(html: str) -> list[str]:
    from html.parser import HTMLParser

    found = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "a" and attrs.get("href"):
                found.append(attrs["href"])
            if tag == "img" and attrs.get("src"):
                found.append(attrs["src"])

    Links().feed(html)
    return found


def problem(document: Path, target: str) -> str | None:
    """Why `target`, linked from `document`, does not resolve inside the repository."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None  # another site: not the repository's to resolve
    if not parts.path:
        return None  # "#section" of the same page
    path = unquote(parts.path)
    base = ROOT if path.startswith("/") else document.parent
    resolved = (base / path.lstrip("/")).resolve()
    if not resolved.is_relative_to(ROOT):
        return f"{target} points outside the repository"
    if not resolved.exists():
        return f"{target} does not exist ({resolved.relative_to(ROOT)})"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(document):
    links = targets(document.read_text(encoding="utf-8"))
    problems = [p for target in links if (p := problem(document, target))]
    assert problems == []


def code_spans(markdown: str) -> list[str]:
    spans = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        spans.extend(c.content for c in token.children or () if c.type == "code_inline")
    return spans


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_path_written_as_code_leads_out_of_the_repository(document):
    """`../shared/docs/domain.md` written as code is a link a reader follows by hand."""
    outside = [
        span
        for span in code_spans(document.read_text(encoding="utf-8"))
        if span.startswith("../")
        and not (document.parent / span.split()[0]).resolve().is_relative_to(ROOT)
    ]
    assert outside == []


def test_the_readme_links_the_product_and_the_architecture():
    links = targets((ROOT / "README.md").read_text(encoding="utf-8"))
    assert {"docs/product.md", "docs/architecture.md", "docs/api.md"} <= set(links)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("docs/product.md", None),
        ("docs/product.md#8-the-numbers-policy", None),
        ("#why", None),
        ("https://docs.djangoproject.com/", None),
        ("../shared/docs/domain.md", "points outside the repository"),
        ("docs/missing.md", "does not exist"),
        ("/api/schema/", "does not exist"),
    ],
)
def test_the_checker_tells_good_links_from_bad(target, expected):
    found = problem(ROOT / "README.md", target)
    assert (found is None) if expected is None else (expected in found)


def test_links_in_code_are_not_links_but_images_and_html_are():
    markdown = (
        "`[a](../outside.md)`\n\n```\n[b](../outside.md)\n```\n\n"
        '![pic](docs/x.png) [ref][r] <img src="docs/y.png">\n\n[r]: docs/z.md\n'
    )
    assert sorted(targets(markdown)) == ["docs/x.png", "docs/y.png", "docs/z.md"]
