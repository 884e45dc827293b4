"""The built wheel is the whole bot: its translations and migrations are inside the package, and
the sandbox (a top-level package of its own, with its chat page) is in the wheel too.

A wheel of the project is built (`pip wheel . --no-deps`), installed into a fresh virtual
environment in a temporary folder, and run from outside the source tree: it must answer
`help-text` in English and Russian (not "missing message") and find and apply its migrations.
The dependencies come from the test environment's site-packages (a .pth line), never the
source tree.
"""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import asyncio, json, sys
import bot
from bot.i18n import I18n
from bot.storage.db import Database, _migrations

async def schema(path):
    db = await Database(path).connect()
    try:
        return await db.schema_version()
    finally:
        await db.close()

i18n = I18n()
print(json.dumps({
    "package": bot.__file__,
    "en": i18n.t("en", "help-text"),
    "ru": i18n.t("ru", "help-text"),
    "migrations": [name for _, name, _ in _migrations()],
    "schema": asyncio.run(schema(sys.argv[1])),
}))
"""


def _source_copy(dest: Path) -> Path:
    """What a checkout holds for the build, copied so that the build leaves nothing in it."""
    src = dest / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for package in ("bot", "sandbox"):
        shutil.copytree(
            ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return src


def _run(*args: str | Path, cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_an_installed_wheel_speaks_both_languages_and_migrates(tmp_path) -> None:
    src = _source_copy(tmp_path)
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", wheels, cwd=src)
    [wheel] = wheels.glob("tg_marketplace-*.whl")
    # The sandbox is its own top-level package (outside bot), with its chat page.
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    assert {"sandbox/botapi/__init__.py", "sandbox/run.py", "sandbox/static/index.html"} <= names
    assert {"bot/miniapp/static/index.html", "bot/miniapp/static/app.js"} <= names
    assert not any(name.startswith("bot/sandbox/") for name in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path)
        .strip()
        .splitlines()[-1]
    )
    pip = (sys.executable, "-m", "pip", "--python", python)
    _run(*pip, "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    # The dependencies: the test environment's site-packages, after the wheel's own.
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = subprocess.run(
        [str(python), "-I", "-c", PROBE, str(outside / "market.db")],
        cwd=outside,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "missing message" not in done.stderr, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(got["package"]).is_relative_to(env_dir), got["package"]  # the wheel's copy
    assert "/post: post a job" in got["en"], got["en"]
    assert "/post: разместить заказ" in got["ru"], got["ru"]
    shipped = sorted(p.name for p in (ROOT / "bot" / "storage" / "migrations").glob("*.sql"))
    assert got["migrations"] == shipped and shipped
    assert got["schema"] == int(shipped[-1][:4])
