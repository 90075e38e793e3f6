"""Dependencies point one way: the merchant pages call the services and selectors of `tickets`
and `complaints`; nothing in the domain apps, `idempotency` or `config` imports `merchant`
(the settings and the root URLconf name it only as strings)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTERFACE = "merchant"
DOMAIN = ("tickets", "complaints", "idempotency", "config")


def imported_modules(source: str) -> list[str]:
    """Absolute names of the modules (and names imported from them) in `source`. Relative
    imports are left out: inside a top-level package they cannot reach another one."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def imports_interface(source: str) -> bool:
    return any(
        name == INTERFACE or name.startswith(INTERFACE + ".") for name in imported_modules(source)
    )


def test_no_domain_module_imports_the_merchant_pages():
    files = [path for app in DOMAIN for path in sorted((ROOT / app).rglob("*.py"))]
    assert len(files) > 40  # the walk did find the apps
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if imports_interface(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    [
        "import merchant",
        "import merchant.views.common as common",
        "from merchant import forms",
        "from merchant.forms import reason_label",
        "def f():\n    from merchant.templatetags.merchant import duration",
    ],
)
def test_the_check_sees_every_spelling_of_the_import(source):
    assert imports_interface(source)


def test_the_check_ignores_lookalikes():
    assert not imports_interface("from .forms import x\nfrom .. import merchant")
    assert not imports_interface("import merchants_helper\nfrom tickets import merchant_x")
    assert not imports_interface('include("merchant.urls", namespace="merchant")')


def test_the_merchant_pages_are_their_own_app():
    from django.apps import apps

    assert apps.get_app_config("merchant").name == INTERFACE
    assert not (ROOT / "tickets" / "views").exists()
    assert not (ROOT / "tickets" / "forms.py").exists()
    assert not (ROOT / "tickets" / "templatetags").exists()
