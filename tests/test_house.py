"""The house's rules, checked: no import cycle inside `bot`, and every button action and
renderer that a module marks is routed (they are collected from the lists in bot.app and
bot.views.registry, not registered by importing)."""

from __future__ import annotations

import importlib
import pkgutil

import grimp

import bot
import bot.handlers
import bot.views
from bot.app import build_application
from bot.config import Settings
from bot.handlers import callbacks
from bot.views import registry


def cycles(package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), type-only imports
    left out (they are no imports at run time)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_the_import_graph_of_bot_has_no_cycle() -> None:
    assert cycles("bot") == []


def test_a_cycle_is_found_when_there_is_one(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "loop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from loop import b\n")
    (pkg / "b.py").write_text("def f():\n    from loop import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cycles("loop") == [["loop.a", "loop.b"]]


def _modules(package) -> list:
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def test_every_marked_button_and_renderer_is_routed(tmp_path) -> None:
    settings = Settings(
        bot_token="1:x", database_path=str(tmp_path / "m.db"), moderator_chat_id=-100
    )
    build_application(settings)
    marked_buttons = {
        action
        for module in _modules(bot.handlers)
        for value in vars(module).values()
        if callable(value)
        for action, _fn in getattr(value, "__buttons__", ())
    }
    assert marked_buttons and marked_buttons <= set(callbacks.ACTIONS)
    marked_renderers = {
        key
        for module in _modules(bot.views)
        for value in vars(module).values()
        if callable(value)
        for key in getattr(value, "__renders__", ())
    }
    assert marked_renderers and marked_renderers == set(registry.RENDERERS)


class _Typed:
    def __init__(self, text: str) -> None:
        self.text, self.caption = text, None


def test_one_parser_for_command_arguments() -> None:
    import pytest

    from bot.domain.errors import InvalidInput
    from bot.handlers.arguments import command_args

    typed = _Typed("/resolve 7 split 60 they shared\nthe work")
    assert command_args(typed, 2, "usage") == (["7", "split"], "60 they shared\nthe work")
    assert command_args(typed, 3, "usage")[1] == "they shared\nthe work"
    with pytest.raises(InvalidInput) as refused:
        command_args(_Typed("/ban 5"), 1, "mod.ban_usage", rest=True)
    assert refused.value.key == "mod.ban_usage"
    with pytest.raises(InvalidInput):
        command_args(_Typed("/log 3"), 2, "dealcmd.usage_log")
    assert command_args(None, 1, "x", need=0) == ([], "")
