"""The layer rules CI checks (`lint-imports`, the contracts in pyproject.toml): they hold for
the tree, and a deliberate violation of each in a throwaway tree breaks its contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(LINT is None, reason="import-linter is not installed")


def contracts_section() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    end = text.find("\n[tool.", start + 1)
    return text[start:] if end < 0 else text[start:end]


def lint(cwd: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    args = [str(LINT)] + (["--config", str(config)] if config else [])
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_tree_keeps_every_layer_contract() -> None:
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def tree(tmp: Path, files: dict[str, str]) -> Path:
    base = {
        "bot/__init__.py": "",
        "bot/domain/__init__.py": "",
        "bot/domain/rules.py": "",
        "bot/storage/__init__.py": "",
        "bot/storage/db.py": "import aiosqlite\n",
        "bot/services/__init__.py": "",
        "bot/services/base.py": "from bot.storage import db\n",
        "bot/handlers/__init__.py": "",
        "bot/handlers/base.py": "from bot.services import base\nimport telegram\n",
        "bot/views/__init__.py": "",
        "bot/flows/__init__.py": "",
        "bot/notify.py": "import telegram\n",
        "sandbox/__init__.py": "from bot.services import base\n",
        "telegram/__init__.py": "",
        "aiosqlite/__init__.py": "",
        "aiohttp/__init__.py": "",
    }
    for name, text in {**base, **files}.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp / "pyproject.toml").write_text(contracts_section(), encoding="utf-8")
    return tmp


def test_a_clean_throwaway_tree_passes(tmp_path) -> None:
    run = lint(tree(tmp_path, {}), tmp_path / "pyproject.toml")
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("path", "source", "contract"),
    [
        ("bot/domain/bad.py", "from bot.storage import db\n", "The domain is pure"),
        ("bot/domain/bad.py", "import sqlite3\n", "The domain is pure"),
        ("bot/domain/bad.py", "def f():\n    import telegram\n", "The domain is pure"),
        ("bot/services/bad.py", "from telegram import Update\n", "Services decide without"),
        ("bot/services/bad.py", "from bot.handlers import base\n", "Services decide without"),
        ("bot/handlers/bad.py", "import sqlite3\n", "Handlers, views and flows"),
        ("bot/handlers/bad.py", "import aiosqlite\n", "Handlers, views and flows"),
        ("bot/views/bad.py", "import aiosqlite\n", "Handlers, views and flows"),
        ("bot/app.py", "def f():\n    import sandbox\n", "bot does not import sandbox"),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(tmp_path, path, source, contract) -> None:
    run = lint(tree(tmp_path, {path: source}), tmp_path / "pyproject.toml")
    assert run.returncode != 0, run.stdout
    broken = [line for line in run.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), run.stdout
