"""Text that renders whole: fluent.runtime renders a whole message as `{???}` when one
placeable is longer than 2,500 characters; no message of ours may. Long text is cut with
"…" only at Telegram's limits.
"""

from __future__ import annotations

import html
import re

from fluent.syntax import ast as fast
from fluent.syntax import parse as parse_ftl
from fluent.syntax.visitor import Visitor

from bot.i18n import LOCALES_DIR, SUPPORTED, I18n
from bot.text import ELLIPSIS, MESSAGE_LIMIT, cut_html, visible_length

LONG = "<&>" * 1000  # 3,000 characters, 13,000 once escaped
SHOWN = html.escape(LONG, quote=False)


class _Placed(Visitor):
    """Variables a message shows as text (in its default variants), not only selects on."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Placeable(self, node: fast.Placeable) -> None:
        if isinstance(node.expression, fast.VariableReference):
            self.names.add(node.expression.id.name)
        elif isinstance(node.expression, fast.SelectExpression):
            for variant in node.expression.variants:
                if variant.default:
                    self.visit(variant.value)
        else:
            self.generic_visit(node)


def _placed() -> dict[str, dict[str, set[str]]]:
    out: dict[str, dict[str, set[str]]] = {}
    for lang in SUPPORTED:
        out[lang] = {}
        for path in sorted((LOCALES_DIR / lang).glob("*.ftl")):
            for entry in parse_ftl(path.read_text(encoding="utf-8")).body:
                if isinstance(entry, fast.Message) and entry.value is not None:
                    v = _Placed()
                    v.visit(entry.value)
                    out[lang][entry.id.name] = v.names
    return out


def test_every_message_renders_long_text_whole_in_both_languages() -> None:
    i18n = I18n()
    placed = _placed()
    checked = 0
    for lang in SUPPORTED:
        for mid, names in i18n.sources[lang].items():
            text = i18n.t(lang, mid, **dict.fromkeys(names, LONG))
            assert "{???}" not in text, (lang, mid)
            assert "\ue000" not in text, (lang, mid)  # no marker left behind
            if placed[lang][mid]:
                assert SHOWN in text, (lang, mid)
                checked += 1
            sent = cut_html(text, MESSAGE_LIMIT)
            if visible_length(text) > MESSAGE_LIMIT:
                assert re.sub(r"(</[a-z-]+>)+$", "", sent).endswith(ELLIPSIS), (lang, mid)
                assert visible_length(sent) == MESSAGE_LIMIT, (lang, mid)
            else:
                assert sent == text
    assert checked > 200  # the sweep really ran over the messages that show text


def test_selectors_still_pick_their_variant() -> None:
    i18n = I18n()
    assert i18n.t("en", "deal-card-you", role="freelancer") == "You are the freelancer."
    assert i18n.t("en", "deal-card-you", role="client") == "You are the client."


# --- end to end: what people type reaches the other side whole -------------------------------


def _text(length: int) -> str:
    """`length` characters of prose full of `<` and `&` (longer once escaped)."""
    unit = "Use <div> & <span> tags, R&D notes; "
    return (unit * (length // len(unit) + 1))[:length].strip() + "!"


async def test_long_texts_reach_people_whole(tmp_path) -> None:
    from bot.services import disputes
    from tests import factories as f
    from tests.factories import CLIENT, FREELANCER, FREELANCER2
    from tests.harness import Market

    async with Market(tmp_path) as m:
        alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
        carol = m.person(FREELANCER2, "Carol")
        m.server.add_chat(-100500, "supergroup", "Moderators", {9001: "member"})
        for user in (alice, bob, carol):
            await user.send("/start")
            await user.wait_for("Welcome")

        # A job card with a 2,600-character description.
        description = _text(2600)
        job = await f.job(m.svc, CLIENT, description=description)
        await carol.send(f"/job {job.id}")
        card = await carol.wait_for(f"Job #{job.id}")
        assert description in card.text and "{???}" not in card.text

        # A 2,600-character question.
        question = _text(2600)
        await carol.send(f"/ask {job.id} {question}")
        relayed = await alice.wait_for(lambda msg: "Carol" in msg.text, timeout=10)
        assert question in relayed.text

        # A 1,990-character delivery note and evidence, each full of `<&`.
        deal = await f.funded_deal(m.svc)
        note = _text(1990)
        await bob.send(f"/deliver {deal.id} {note}")
        delivered = await alice.wait_for(f"Deal #{deal.id}: the work is delivered", timeout=10)
        assert note in delivered.text and "{???}" not in delivered.text
        await disputes.open_dispute(m.svc, CLIENT, deal.id, "The logo is not round.")
        evidence = _text(1990)
        await alice.send(f"/evidence {deal.id} {evidence}")
        await alice.wait_for("Added to the dispute")
        await m.settle()
        shown = [msg.text for msg in m.server.chat_messages(-100500)]
        assert any(evidence in text for text in shown), shown
        assert not any("{???}" in text for text in shown)
