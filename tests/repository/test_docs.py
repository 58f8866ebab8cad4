"""The generated reference docs are current: configuration.md (settings model + CLI), tools.md (the schema
snapshot), troubleshooting.md (credentials, endpoints, the error catalogue). Regenerate with
`python scripts/gen_docs.py` after changing any of those."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_docs_are_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCC_SIM_PORT", "1234")  # the environment must not leak into the docs
    stale = [
        str(path.relative_to(ROOT))
        for path, text in gen_docs().render().items()
        if not path.exists() or path.read_text() != text
    ]
    assert not stale, f"stale generated docs {stale}: run python scripts/gen_docs.py"


def test_every_setting_and_error_code_is_documented() -> None:
    from ccc_mcp.api.errors import CATALOGUE
    from ccc_mcp.config.settings import Settings

    configuration = (ROOT / "docs" / "configuration.md").read_text()
    for field in Settings.model_fields.values():
        assert f"`{field.validation_alias}`" in configuration
    troubleshooting = (ROOT / "docs" / "troubleshooting.md").read_text()
    for code in CATALOGUE:
        assert f"| `{code}` |" in troubleshooting


def test_docs_links_resolve() -> None:
    """Relative links of the README, examples/README.md and docs/ point at files that exist."""
    pages = [ROOT / "README.md", ROOT / "examples" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_every_test_the_deploy_page_cites_exists() -> None:
    """docs/deploy.md's security section names, for each protection, the test that proves it (file::name): a
    renamed or deleted test must not leave the page pointing at nothing."""
    cited = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", (ROOT / "docs" / "deploy.md").read_text())
    assert len(cited) >= 30
    missing = [
        f"{path}::{name}" for path, name in cited
        if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]  # fmt: skip
    assert not missing, f"docs/deploy.md cites tests that do not exist: {missing}"
