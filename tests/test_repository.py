"""Repository hygiene (issue 12, item 9): the README's configuration table and .env.example
name every setting with its real default; the packaging is clean."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
FIELDS = sorted(Settings.model_fields)
ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| (.+?) \| (.+?) \|$")
ENV_LINE = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$")


def defaults() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def settings_with(name: str, value: str) -> Settings:
    """Settings with one variable set as a person would write it."""
    return Settings(_env_file=None, **{name: value})  # type: ignore[call-arg]


def readme_rows() -> dict[str, tuple[str, str]]:
    """The README's configuration rows (the first row of a variable wins)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        m = ROW.match(line.strip())
        if m:
            rows.setdefault(m.group(1), (m.group(2), m.group(3)))
    return rows


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return {m.group(1): m.group(2) for line in lines if (m := ENV_LINE.match(line.strip()))}


def same(name: str, value: Any) -> bool:
    return getattr(settings_with(name, value), name) == getattr(defaults(), name)


def test_every_setting_is_in_the_readme_table_with_its_default() -> None:
    rows = readme_rows()
    missing = [f.upper() for f in FIELDS if f.upper() not in rows]
    assert missing == [], "add these to the README's configuration table"
    for field in FIELDS:
        default, meaning = rows[field.upper()]
        assert meaning.strip(), field
        if default in ("—", "empty"):
            assert not getattr(defaults(), field), f"{field}: the README says no default"
        else:
            value = default.strip("`")
            assert same(field, value), f"{field}: the README's default {default} is not it"


def test_every_setting_is_in_env_example_with_its_default() -> None:
    example = env_example()
    missing = [f.upper() for f in FIELDS if f.upper() not in example]
    assert missing == [], "add these to .env.example"
    for field in FIELDS:
        value = example[field.upper()]
        if value == "":
            assert not getattr(defaults(), field), f"{field}: .env.example leaves it empty"
        else:
            assert same(field, value), f"{field}: .env.example's {value} is not the default"
    # Every variable the README documents is in the example too.
    assert sorted(set(readme_rows()) - set(example)) == []


def test_only_the_token_is_uncommented_in_env_example() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if ENV_LINE.match(line) and not line.startswith("#")] == [
        "BOT_TOKEN="
    ]


def test_packaging_metadata_is_current() -> None:
    """setuptools >= 77 takes the licence as an SPDX string; a table is deprecated."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in requires)


def test_build_artifacts_are_ignored() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("tg_marketplace.egg-info/PKG-INFO", "bot/x.egg-info/SOURCES.txt", "data/x.db"):
        done = subprocess.run(
            ["git", "check-ignore", "-q", path], cwd=ROOT, check=False, capture_output=True
        )
        assert done.returncode == 0, f"{path} is not ignored"
