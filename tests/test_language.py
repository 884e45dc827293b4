"""Language (issue 12, item 6): the command menu follows /language, Russian durations are
understood wherever a duration is typed, and the Russian text has one word for a bid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.domain.durations import parse_deadline
from bot.domain.errors import InvalidInput
from bot.i18n import LOCALES_DIR, I18n
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market, step

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

ADMIN = 9001  # ADMIN_USER_IDS of tests.conftest.make_settings
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def menu_seen(m: Market, user_id: int, language: str) -> dict[str, str]:
    """The menu Telegram shows in a person's private chat: the narrowest scope with commands,
    for their app's language first, then without a language (Bot API, BotCommandScope)."""
    for scope in (
        {"type": "chat", "chat_id": user_id},
        {"type": "all_private_chats"},
        {"type": "default"},
    ):
        for code in (language, ""):
            commands = m.server.commands(scope, code)
            if commands:
                return {c["command"]: c["description"] for c in commands}
    return {}


def chat_menu_calls(m: Market, user_id: int) -> int:
    """setMyCommands calls for the person's own chat."""
    scopes = [p.get("scope") for p in m.server.calls_of("setMyCommands")]
    scopes = [json.loads(s) if isinstance(s, str) else s for s in scopes]
    return sum(1 for s in scopes if s == {"type": "chat", "chat_id": user_id})


async def choose(user, label: str, done: str) -> None:
    await user.send("/language")
    choice = await user.wait_for(lambda msg: bool(msg.inline) and len(msg.buttons) == 2)
    await user.press(choice, label)
    await user.wait_for(done)


async def test_the_menu_follows_language_for_good(tmp_path: Path) -> None:
    async with Market(tmp_path) as m:
        kate = m.person(CLIENT, "Kate", language="en")
        maya = m.person(ADMIN, "Maya", language="en")
        await kate.send("/start")
        await kate.wait_for("Welcome")
        assert menu_seen(m, CLIENT, "en")["post"] == "Post a job"

        # Kate's app speaks English; she chooses Russian: her menu is Russian at once.
        await choose(kate, "Русский", "Теперь бот говорит по-русски.")
        menu = menu_seen(m, CLIENT, "en")
        assert menu["post"] == "Разместить заказ"
        assert all(CYRILLIC.search(d) for d in menu.values())
        assert "resolve" not in menu
        # Nobody else's menu moved.
        assert menu_seen(m, FREELANCER, "en")["post"] == "Post a job"

        # An admin's chat had one list per language from the start; the choice wins over them.
        assert menu_seen(m, ADMIN, "en")["resolve"]
        await choose(maya, "Русский", "Теперь бот говорит по-русски.")
        admin_menu = menu_seen(m, ADMIN, "en")
        assert admin_menu["post"] == "Разместить заказ"
        assert "resolve" in admin_menu and all(CYRILLIC.search(d) for d in admin_menu.values())

        # After a restart (which registers every list again) both choices still hold.
        await m.restart()
        assert menu_seen(m, CLIENT, "en")["post"] == "Разместить заказ"
        assert menu_seen(m, ADMIN, "en")["post"] == "Разместить заказ"

        # Back to English: the menu follows again.
        await choose(kate, "English", "English")
        assert menu_seen(m, CLIENT, "ru")["post"] == "Post a job"


async def test_a_changed_menu_is_registered_again_at_the_next_update(tmp_path: Path) -> None:
    async with Market(tmp_path) as m:
        kate = m.person(CLIENT, "Kate", language="en")
        await choose(kate, "Русский", "Теперь бот говорит по-русски.")
        registered = chat_menu_calls(m, CLIENT)
        assert registered == 1

        # An ordinary update does not register the menu again: it is current.
        await kate.send("/help")
        await kate.wait_for("Обеим сторонам")
        assert chat_menu_calls(m, CLIENT) == registered

        # A release changed the menu (here: the stamp kept for Kate is an older menu's), and
        # Telegram still shows the old one: her next update brings it up to date.
        await m.quiet()
        await m.set_user_data(CLIENT, {**await m.user_data(CLIENT), "menu": "ru:an-older-menu"})
        m.server.my_commands.pop((json.dumps({"chat_id": CLIENT, "type": "chat"}), ""))
        since = len(m.server.call_records)
        await kate.send("/help")
        await kate.wait_for("Обеим сторонам")
        await m.server.wait_for_call("setMyCommands", since=since)
        assert chat_menu_calls(m, CLIENT) == registered + 1
        assert menu_seen(m, CLIENT, "en")["post"] == "Разместить заказ"
        await m.quiet()
        assert (await m.user_data(CLIENT))["menu"].startswith("ru:")
        assert (await m.user_data(CLIENT))["menu"] != "ru:an-older-menu"


async def test_a_refused_menu_does_not_spoil_the_choice(tmp_path: Path) -> None:
    async with Market(tmp_path) as m:
        kate = m.person(CLIENT, "Kate", language="en")
        # Refused both times the choice's update tries (before its answer, and after it).
        m.server.fail_next(
            "setMyCommands", status=400, description="Bad Request: chat not found", times=2
        )
        await choose(kate, "Русский", "Теперь бот говорит по-русски.")
        async with m.svc.read() as tx:
            assert (await tx.users.get(CLIENT)).locale_override == "ru"
        # Not stamped as registered: the next update tries again, and it works.
        await m.quiet()
        assert "menu" not in await m.user_data(CLIENT)
        await kate.send("/help")
        await kate.wait_for("Обеим сторонам")
        await m.quiet()  # the menu is registered after the answer
        assert menu_seen(m, CLIENT, "en")["post"] == "Разместить заказ"


# --- Russian durations, wherever a duration is typed ------------------------------------------


async def test_russian_durations_in_the_post_flow_and_extend(tmp_path: Path) -> None:
    async with Market(tmp_path) as m:
        olga = m.person(CLIENT, "Ольга", language="ru")
        msg = await step(olga, "/post", "шаг 1: выберите категорию")
        await step(olga, None, "Название", press="🧩 Другое", on=msg)
        await step(olga, "Логотип для пекарни", "Опишите заказ")
        await step(olga, "Круглый логотип для семейной пекарни, тёплые цвета.", "бюджет")
        ask = await step(olga, "150", "сдана")
        assert "3д" in ask.text and "не раньше чем через 1 час" in ask.text
        before = m.svc.clock.now()
        await step(olga, "2 дня", "закрытое ТЗ")
        await m.quiet()
        draft = (await m.user_data(CLIENT))["post"]
        assert abs(draft["deadline_at"] - (before + 2 * 86400)) <= 5
        await olga.send("/cancel")
        await olga.wait_for("Публикация заказа отменена")

        await f.people(m.svc, FREELANCER)
        deal = await f.funded_deal(m.svc)
        due = deal.due_at
        await olga.send(f"/extend {deal.id} 3 часа")
        await olga.wait_for(f"Сделка #{deal.id}: новый срок сдачи")
        assert (await f.get_deal(m.svc, deal.id)).due_at == due + 3 * 3600
        await olga.send(f"/extend {deal.id} 1 нед.")
        await olga.wait_for(f"Сделка #{deal.id}: новый срок сдачи")
        assert (await f.get_deal(m.svc, deal.id)).due_at == due + 3 * 3600 + 7 * 86400
        await olga.send(f"/extend {deal.id} 2 месяца")
        refusal = await olga.wait_for("Укажите срок как длительность")
        assert "12ч, 3 дня или 2 недели" in refusal.text


def test_a_too_soon_deadline_names_the_minimum_in_words() -> None:
    i18n = I18n()
    with pytest.raises(InvalidInput) as info:
        parse_deadline("30 мин", 0, 3600)
    assert "не раньше чем через 1 час." in i18n.error("ru", info.value)
    assert "at least 1 hour away" in i18n.error("en", info.value)
    with pytest.raises(InvalidInput) as info:
        parse_deadline("1д", 0, 2 * 86400)
    assert "через 2 дня" in i18n.error("ru", info.value)


def test_russian_durations_in_the_configuration() -> None:
    settings = load_settings(
        _env_file=None, bidding_window="2 недели", funding_window="12ч", min_deadline="30 мин"
    )
    assert settings.bidding_window == 14 * 86400
    assert settings.funding_window == 12 * 3600
    assert settings.min_deadline == 1800


# --- one word for a bid -------------------------------------------------------------------------

# «Отклик» is the word; «ставка» (a stake, a wager) and «заявка» were used for the same thing.
OTHER_WORDS = re.compile(r"\b(ставк|заявк)\w*", re.IGNORECASE)


def test_russian_calls_a_bid_one_thing() -> None:
    found = []
    for path in sorted((LOCALES_DIR / "ru").glob("*.ftl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for word in OTHER_WORDS.finditer(line):
                found.append(f"{path.name}:{n}: {word.group(0)}")
    assert found == [], "bids are «отклики» in Russian"
    main = (LOCALES_DIR / "ru" / "main.ftl").read_text(encoding="utf-8")
    assert "cmd-mybids = Мои отклики" in main


async def test_the_russian_menu_says_otklik(tmp_path: Path) -> None:
    async with Market(tmp_path) as m:
        menus = [
            c["description"]
            for (_scope, code), commands in m.server.my_commands.items()
            if code == "ru"
            for c in commands
        ]
        assert menus and any("отклик" in d.lower() for d in menus)
        assert not [d for d in menus if OTHER_WORDS.search(d)]
