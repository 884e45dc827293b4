"""The happy path in Russian (SPEC section 9): a Russian-speaking client and freelancer post,
bid, hire, pay, deliver, release and rate through the real bot, and everything they see is in
Russian, from the conversation steps to the notifications, the invoice and the refusals."""

from __future__ import annotations

import re

import pytest
from telegram import BotCommandScopeAllPrivateChats

from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market, step

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def is_invoice(msg: SimMessage) -> bool:
    return msg.invoice is not None


def not_russian(user: SimUser) -> list[str]:
    """Bot messages in the user's chat with text and no Cyrillic letter in it."""
    return [m.text for m in user.messages if m.text and not CYRILLIC.search(m.text)]


async def test_the_happy_path_in_russian(tmp_path) -> None:
    async with Market(tmp_path) as m:
        olga = m.person(CLIENT, "Ольга", language="ru", username="olga")
        ivan = m.person(FREELANCER, "Иван", language="ru", username="ivan")

        await olga.send("/start")
        welcome = await olga.wait_for("Добро пожаловать")
        assert "Ольга" in welcome.text

        # The client posts a job through the conversation, step by step.
        msg = await step(olga, "/post", "шаг 1: выберите категорию")
        assert "🧩 Другое" in [b.text for b in msg.buttons]
        msg = await step(olga, None, "Название", press="🧩 Другое", on=msg)
        assert {"◀ Назад", "✖ Отмена"} <= {b.text for b in msg.buttons}
        await step(olga, "Логотип для пекарни", "Опишите заказ")
        await step(olga, "Круглый логотип для семейной пекарни, тёплые цвета.", "бюджет")
        await step(olga, "150", "сдана")
        msg = await step(olga, "1w", "закрытое ТЗ")
        msg = await step(olga, None, "файлы", press="Пропустить ▶", on=msg)
        msg = await step(olga, None, "Предпросмотр", press="✔ Готово", on=msg)
        assert "Логотип для пекарни" in msg.text and "Без закрытого ТЗ." in msg.text
        assert "Бюджет: 150 ⭐" in msg.text
        await olga.press(msg, "✅ Опубликовать")
        await olga.wait_for("Заказ #1 опубликован.")
        job = await f.get_job(m.svc, 1)
        assert job.title == "Логотип для пекарни" and job.state == "open"

        # The freelancer finds it and bids in one line.
        await ivan.send("/jobs")
        listing = await ivan.wait_for("Открытые заказы")
        assert "Логотип для пекарни" in listing.text
        await ivan.send("/bid 1 150 3 Нарисую за три дня, пришлю два варианта.")
        placed = await ivan.wait_for("Отклик #1 на заказ #1 отправлен")
        assert "150 ⭐" in placed.text
        news = await olga.wait_for("Новый отклик на заказ #1")
        assert "Иван" in news.text

        # The client hires: a Russian invoice; the freelancer is told.
        await olga.send("/accept 1")
        invoice = await olga.wait_for(is_invoice)
        assert invoice.invoice["title"] == "Сделка #1"
        assert invoice.invoice["currency"] == "XTR" and invoice.invoice["total_amount"] == 150
        assert "гарантийном счёте" in invoice.invoice["description"]
        await ivan.wait_for("Ваш отклик #1 на заказ #1 «Логотип для пекарни» приняли!")

        # Paying funds the deal.
        paid = await olga.pay(invoice)
        assert isinstance(paid, SimMessage), f"pre-checkout refused: {paid!r}"
        funded = await olga.wait_for("Оплата получена: сделка #1 оплачена")
        assert "150 ⭐ на гарантийном счёте" in funded.text
        await ivan.wait_for("Сделка #1 по заказу #1 «Логотип для пекарни» оплачена")
        assert (await f.get_deal(m.svc, 1)).state == "funded"

        # A refusal, in Russian.
        await ivan.send("/release 1")
        refusal = await ivan.wait_for("сделк")
        assert CYRILLIC.search(refusal.text) and "release" not in refusal.text.lower()

        # Delivery and release.
        await ivan.send("/deliver 1 Готово, два варианта во вложении.")
        await ivan.wait_for("Работа по сделке #1 сдана")
        delivered = await olga.wait_for("Сделка #1: работа сдана.")
        assert "Готово, два варианта во вложении." in delivered.text
        assert "✅" in " ".join(b.text for b in delivered.buttons)
        await olga.send("/release 1")
        done = await olga.wait_for("Сделка #1 завершена: 150 ⭐ переданы исполнителю.")
        assert "Оцените от 1 до 5" in done.text
        paid_out = await ivan.wait_for("Сделка #1 завершена")
        assert "135 ⭐ зачислено на ваш баланс (комиссия площадки 15 ⭐)" in paid_out.text
        deal = await f.get_deal(m.svc, 1)
        assert deal.state == "released"
        assert await f.balance(m.svc, "user", FREELANCER) == 135
        assert await f.balance(m.svc, "fees") == 15

        # Ratings, balance, help: still Russian.
        await olga.send("/rate 1 5 Отличная работа")
        await olga.wait_for("вы поставили сделке #1 5/5")
        await ivan.send("/rate 1 5")
        await ivan.wait_for("Обе оценки теперь видны")
        await ivan.send("/balance")
        balance = await ivan.wait_for("135 ⭐")
        assert CYRILLIC.search(balance.text)
        await ivan.send("/help")
        help_text = await ivan.wait_for("Обеим сторонам")
        assert "/evidence" in help_text.text
        await m.settle()

        # Nothing either of them saw was in another language.
        assert not_russian(olga) == []
        assert not_russian(ivan) == []

        # The command menu is registered in Russian too.
        scope = BotCommandScopeAllPrivateChats().to_dict()
        menu = {c["command"]: c["description"] for c in m.server.commands(scope, "ru")}
        assert menu["post"] == "Разместить заказ"
        assert all(CYRILLIC.search(d) for d in menu.values())


async def test_language_override_switches_to_russian_for_good(tmp_path) -> None:
    async with Market(tmp_path) as m:
        kate = m.person(CLIENT, "Kate", language="en")
        await kate.send("/language")
        choose = await kate.wait_for("Choose your language")
        await kate.press(choose, "Русский")
        await kate.wait_for("Теперь бот говорит по-русски.")
        async with m.svc.read() as tx:
            assert (await tx.users.get(CLIENT)).locale_override == "ru"
        # Notifications rendered later, and after a restart, follow the stored choice.
        await m.restart()
        job = await f.job(m.svc, CLIENT)
        await f.people(m.svc, FREELANCER)
        await f.bid(m.svc, job.id, FREELANCER)
        await kate.wait_for(f"Новый отклик на заказ #{job.id}")
        await kate.send("/deal 7")
        await kate.wait_for("#7")
        assert CYRILLIC.search(kate.messages[-1].text)
