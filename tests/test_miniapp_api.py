"""The Mini App's API (bot/miniapp) through the real stack on both engines: the bot polling the
loopback Bot API server, the Mini App on its own port (polling mode), real HTTP.

What it must show: forged, expired, future, replayed or banned initData is refused; someone
acting on another's deal hears exactly the chat's sentence; every validation message equals
the chat flow's for the same input; the draft survives; a published job is found by search."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.domain.errors import Forbidden, InvalidInput
from bot.miniapp.auth import signed_for
from bot.services import deals, moderation, profiles
from bot.services.base import Moderator
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, STRANGER
from tests.harness import TOKEN, Market, free_port, labels, visible

pytestmark = pytest.mark.usefixtures("market_engine")

APP_URL = "https://market.example/app/"


class AppClient:
    """The page's side of the API: signs initData as Telegram would for a person."""

    def __init__(self, m: Market, port: int) -> None:
        self.m = m
        self.base = f"http://127.0.0.1:{port}"
        self.session = aiohttp.ClientSession()

    def init_data(self, uid: int, *, age: int = 0, token: str = TOKEN, lang: str = "en") -> str:
        user = {"id": uid, "first_name": f"User {uid}", "username": f"user{uid}"}
        user["language_code"] = lang
        return signed_for(token, user, self.m.svc.clock.now() - age)

    async def call(
        self,
        path: str,
        uid: int | None = None,
        *,
        body: Any = None,
        init: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        h = dict(headers or {})
        if init is None and uid is not None:
            init = self.init_data(uid)
        if init is not None:
            h["Authorization"] = f"tma {init}"
        url = self.base + "/app/api/" + path
        if raw is not None:
            req = self.session.post(url, data=raw, headers=h)
        elif body is not None:
            req = self.session.post(url, json=body, headers=h)
        else:
            req = self.session.get(url, headers=h)
        async with req as r:
            text = await r.text()
            return r.status, (json.loads(text) if text.startswith("{") else {"text": text})

    async def close(self) -> None:
        await self.session.close()


@pytest.fixture
async def app(tmp_path) -> AsyncIterator[AppClient]:
    port = free_port()
    async with Market(tmp_path, miniapp_url=APP_URL, miniapp_port=port) as m:
        client = AppClient(m, port)
        try:
            yield client
        finally:
            await client.close()


def form(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "category": "programming",
        "title": "Telegram bot for a bakery",
        "description": "Orders, a menu and delivery slots for a small family bakery.",
        "answers": {"stack": "python", "repo": ""},
        "budget": "100-200",
        "deadline": "7d",
        "brief": "",
        "nda": False,
        "nda_text": "",
    }
    base.update(over)
    return base


# --- initData ------------------------------------------------------------------------------


async def test_only_initdata_telegram_signed_recently_is_taken(app: AppClient) -> None:
    m = app.m
    status, me = await app.call("me", CLIENT)
    assert status == 200 and me["id"] == CLIENT and me["locale"] == "en"
    assert me["strings"]["tab-browse"] == "Browse"

    good = app.init_data(CLIENT)
    tampered = good.replace(f"%22id%22%3A{CLIENT}", f"%22id%22%3A{FREELANCER}")
    assert tampered != good
    refused = {
        "no header": None,
        "forged (another token)": app.init_data(CLIENT, token="999:OTHER"),
        "tampered user": tampered,
        "no hash": good.split("&hash=")[0],
        "expired": app.init_data(CLIENT, age=24 * 3600 + 5),
        "replayed from two days ago": app.init_data(CLIENT, age=2 * 86400),
        "from the future": app.init_data(CLIENT, age=-120),
    }
    for why, init in refused.items():
        status, body = await app.call("me", init=init or "")
        assert status == 401, why
        assert "error" in body
    # A minute of clock difference is tolerated.
    assert (await app.call("me", init=app.init_data(CLIENT, age=-30)))[0] == 200

    # A user id in the request changes nothing: only the signed one counts.
    status, body = await app.call(f"deals?user={FREELANCER}", CLIENT)
    assert status == 200 and body == {"deals": []}

    # A banned person: the chat's own sentence.
    await f.people(m.svc, STRANGER)
    await moderation.ban(m.svc, Moderator(9001), STRANGER, "spam")
    status, body = await app.call("me", STRANGER)
    assert status == 403
    assert visible(body["error"]) == m.sentence(Forbidden("user.banned"))
    stranger = m.person(STRANGER, "Sam")
    await stranger.send("/post")
    said = await stranger.wait_for(m.sentence(Forbidden("user.banned")))
    assert said.text == visible(body["error"])


async def test_a_post_must_be_json_and_the_page_has_a_csp(app: AppClient) -> None:
    init = app.init_data(CLIENT)
    async with app.session.post(
        app.base + "/app/api/check",
        data="form=1",
        headers={
            "Authorization": f"tma {init}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    ) as r:
        assert r.status == 415
    async with app.session.get(app.base + "/app/") as r:
        assert r.status == 200
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "/app/app.js" in await r.text()


# --- deals: the chat's who-may-act and sentences ----------------------------------------------


async def test_a_stranger_hears_the_chat_sentence_and_nothing_moves(app: AppClient) -> None:
    m = app.m
    await f.people(m.svc)
    deal = await f.delivered_deal(m.svc)
    stranger = m.person(STRANGER, "Sam")
    freelancer = m.person(FREELANCER, "Fred")

    await stranger.send(f"/release {deal.id}")
    not_party = m.sentence(Forbidden("deal.not_party", deal=deal.id))
    chat_says = (await stranger.wait_for(not_party)).text
    assert chat_says == not_party
    for body in ({"action": "release"}, {"action": "release", "confirm": True}):
        status, answer = await app.call(f"deals/{deal.id}/action", STRANGER, body=body)
        assert status == 403 and visible(answer["error"]) == chat_says
    status, answer = await app.call(f"deals/{deal.id}", STRANGER)
    assert status == 403 and visible(answer["error"]) == chat_says

    # The freelancer may not release either: the chat's sentence for that.
    await freelancer.send(f"/release {deal.id}")
    only_client = m.sentence(Forbidden("deal.only_client_release", deal=deal.id))
    chat_says = (await freelancer.wait_for(only_client)).text
    status, answer = await app.call(
        f"deals/{deal.id}/action", FREELANCER, body={"action": "release", "confirm": True}
    )
    assert status == 403 and visible(answer["error"]) == chat_says
    assert (await f.get_deal(m.svc, deal.id)).state == "delivered"


async def test_release_asks_first_then_goes_through_the_chat_service(app: AppClient) -> None:
    m = app.m
    fred = m.person(FREELANCER, "Fred")
    await fred.send("/start")
    await fred.wait_for("Welcome")
    await f.people(m.svc)
    deal = await f.delivered_deal(m.svc)
    status, board = await app.call(f"deals/{deal.id}", CLIENT)
    assert status == 200 and board["state"] == "delivered" and board["role"] == "client"
    actions = {a["action"]: a for a in board["actions"]}
    assert actions["release"]["money"] is True and "revise" in actions
    assert any("delivered" in line for line in board["timeline"])

    status, answer = await app.call(f"deals/{deal.id}/action", CLIENT, body={"action": "release"})
    assert status == 200 and "confirm" in answer and "Release" in visible(answer["confirm"])
    assert (await f.get_deal(m.svc, deal.id)).state == "delivered"  # only asked

    status, answer = await app.call(
        f"deals/{deal.id}/action", CLIENT, body={"action": "release", "confirm": True}
    )
    assert status == 200 and answer["deal"]["state"] == "released"
    assert (await f.get_deal(m.svc, deal.id)).state == "released"
    # The freelancer hears of it in the chat, as after a release in the chat.
    await fred.wait_for(f"Deal #{deal.id} is complete")
    status, _again = await app.call(
        f"deals/{deal.id}/action", CLIENT, body={"action": "release", "confirm": True}
    )
    assert status == 409


# --- the form: the chat flow's sentences ----------------------------------------------------------


async def chat_sentences(m: Market) -> dict[str, str]:
    """The chat flow's sentence for each bad input the form test sends (its first paragraph)."""
    clara = m.person(CLIENT, "Clara")
    out: dict[str, str] = {}

    async def bad(field: str, text: str, expect: str) -> None:
        await clara.send(text)
        msg = await clara.wait_for(lambda x: expect in x.text and bool(x.inline), timeout=10)
        out[field] = msg.text.split("\n\n")[0]

    await clara.send("/post")
    msg = await clara.wait_for("choose the category")
    await clara.press(msg, "💻 Programming")
    await clara.wait_for("title of the job")
    await bad("title", "abc", "title of the job")
    await clara.send("Telegram bot for a bakery")
    await clara.wait_for("Describe the job")
    await bad("description", "too short", "Describe the job")
    await clara.send("Orders, a menu and delivery slots for a small family bakery.")
    await clara.wait_for("question 1 of 2")
    await bad("q:stack", "-", "question 1 of 2")
    await clara.send("python")
    await clara.wait_for("question 2 of 2")
    await bad("q:repo", "not a link", "question 2 of 2")
    await clara.send("https://github.com/example/bot")
    await clara.wait_for("budget")
    await bad("budget", "lots", "budget")
    await bad("budget-range", "300-100", "budget")
    await clara.send("150")
    await clara.wait_for("When must")
    await bad("deadline", "yesterday", "When must")
    await bad("deadline-soon", "10m", "When must")
    return out


async def test_every_validation_message_is_the_chat_flows(app: AppClient) -> None:
    m = app.m
    chat = await chat_sentences(m)
    sent = {
        "title": "abc",
        "description": "too short",
        "q:stack": "-",
        "q:repo": "not a link",
        "budget": "lots",
        "budget-range": "300-100",
        "deadline": "yesterday",
        "deadline-soon": "10m",
    }
    bad = form(
        title=sent["title"],
        description=sent["description"],
        answers={"stack": sent["q:stack"], "repo": sent["q:repo"]},
        budget=sent["budget"],
        deadline=sent["deadline"],
    )
    status, answer = await app.call("check", CLIENT, body={"form": bad})
    assert status == 200 and answer["preview"] is None
    errors = {k: visible(v) for k, v in answer["errors"].items()}
    for field in ("title", "description", "q:stack", "q:repo", "budget", "deadline"):
        assert errors[field] == chat[field], field
    status, answer = await app.call(
        "check", CLIENT, body={"form": form(budget="300-100", deadline="10m")}
    )
    errors = {k: visible(v) for k, v in answer["errors"].items()}
    assert errors == {"budget": chat["budget-range"], "deadline": chat["deadline-soon"]}
    # Publishing the bad form is refused with the same sentences, and writes nothing.
    status, answer = await app.call("publish", CLIENT, body={"form": bad})
    assert status == 400 and visible(answer["errors"]["title"]) == chat["title"]
    async with m.svc.read() as tx:
        assert await tx.jobs.by_client(CLIENT) == []


async def test_a_draft_survives_and_a_published_job_is_found(app: AppClient) -> None:
    m = app.m
    clara = m.person(CLIENT, "Clara")
    await clara.send("/start")
    await clara.wait_for("Welcome")
    mine = form(answers={"stack": "python aiohttp", "repo": ""}, title="Bakery orders bot")
    assert (await app.call("draft", CLIENT, body={"form": mine}))[0] == 200
    status, upload = await app.call(
        "files", CLIENT, raw=b"%PDF-1.4 the spec", headers={"X-File-Name": "spec%20v1.pdf"}
    )
    assert status == 200 and upload["files"] == [{"name": "spec v1.pdf", "size": 17}]
    # The file went to Clara's chat: that is where its Telegram file_id comes from.
    sent = await clara.wait_for(lambda x: x.document is not None)
    assert sent.document["file_name"] == "spec v1.pdf"

    await m.restart()  # the app closed, the bot restarted: the draft is in the database
    status, draft = await app.call("draft", CLIENT)
    assert status == 200 and draft["form"] == {**mine, "nda": False}
    assert draft["files"] == [{"name": "spec v1.pdf", "size": 17}]

    status, checked = await app.call("check", CLIENT, body={"form": mine})
    assert checked["errors"] == {} and "Bakery orders bot" in checked["preview"]
    status, done = await app.call("publish", CLIENT, body={"form": mine})
    assert status == 200
    job_id = done["job"]
    assert f"Job #{job_id} is live" in visible(done["message"])
    async with m.svc.read() as tx:
        job = await tx.jobs.get(job_id)
    assert job is not None and job.answers == {"stack": "python aiohttp"}
    assert job.files[0]["file_id"] == sent.document["file_id"]
    assert (await app.call("draft", CLIENT))[1]["form"]["title"] == ""  # gone once published

    # Found by the /jobs search, with the category filter and a budget range.
    for query in ("q=bakery", "category=programming", "q=bakery&min=150&max=500", ""):
        status, found = await app.call(f"jobs?{query}", FREELANCER)
        assert status == 200 and job_id in [j["id"] for j in found["jobs"]], query
    for query in ("category=design", "min=300", "max=50", "q=bakery&min=201"):
        status, found = await app.call(f"jobs?{query}", FREELANCER)
        assert job_id not in [j["id"] for j in found["jobs"]], query
    status, card = await app.call(f"jobs/{job_id}", FREELANCER)
    assert status == 200 and "Bakery orders bot" in card["html"]
    assert card["files"] == [{"name": "spec v1.pdf", "size": 17}] and card["trust"]

    # The chat's card of it has the button that opens it in the app.
    fred = m.person(FREELANCER, "Fred")
    await fred.send(f"/job {job_id}")
    msg = await fred.wait_for(lambda x: f"#{job_id}" in x.text and bool(x.inline))
    button = next(b for b in msg.buttons if b.raw.get("web_app"))
    assert button.raw["web_app"]["url"] == f"{APP_URL}?job={job_id}"
    assert "📱 Open in the app" in labels(msg)


async def test_infinite_scroll_pages_with_a_cursor(app: AppClient) -> None:
    m = app.m
    await f.people(m.svc)
    ids = [(await f.job(m.svc, title=f"Scroll job number {n}")).id for n in range(25)]
    _status, first = await app.call("jobs?q=scroll", FREELANCER)
    assert len(first["jobs"]) == 20 and first["next"] == "20"
    _status, second = await app.call("jobs?q=scroll&cursor=20", FREELANCER)
    assert second["next"] is None
    seen = [j["id"] for j in first["jobs"] + second["jobs"]]
    assert seen == sorted(ids, reverse=True)


async def test_the_menu_button_opens_the_app(app: AppClient) -> None:
    calls = app.m.server.calls_of("setChatMenuButton")
    assert calls, "setChatMenuButton was not called"
    button = calls[-1]["menu_button"]
    button = json.loads(button) if isinstance(button, str) else button
    assert button["type"] == "web_app" and button["web_app"]["url"] == APP_URL


async def test_webhook_mode_serves_the_app_on_the_bot_server(tmp_path) -> None:
    """Webhook mode: the same routes on the webhook server, whose small body limit does not
    stop a file of a few megabytes."""
    async with Market(tmp_path, webhook=True, miniapp_url=APP_URL) as m:
        port = int(m.settings.webhook_listen.rsplit(":", 1)[1])
        client = AppClient(m, port)
        try:
            clara = m.person(CLIENT, "Clara")
            await clara.send("/start")
            await clara.wait_for("Welcome")
            status, me = await client.call("me", CLIENT)
            assert status == 200 and me["id"] == CLIENT
            big = b"x" * (3 * 1024 * 1024)
            status, upload = await client.call(
                "files", CLIENT, raw=big, headers={"X-File-Name": "big.bin"}
            )
            assert status == 200 and upload["files"] == [{"name": "big.bin", "size": len(big)}]
            assert (await client.call("me", init="bad"))[0] == 401
        finally:
            await client.close()


async def test_the_page_speaks_the_persons_language(app: AppClient) -> None:
    m = app.m
    ru = app.init_data(CLIENT, lang="ru")
    status, me = await app.call("me", init=ru)
    assert status == 200
    assert me["locale"] == "ru" and me["strings"]["tab-browse"] == "Заказы"
    assert me["categories"][0]["label"] == m.app.bot_data["rt"].i18n.t("ru", "category-writing")
    _status, answer = await app.call("check", init=ru, body={"form": form(title="abc")})
    expected = InvalidInput("job.title_length", min=5, max=100, length=3)
    assert answer["errors"]["title"] == m.app.bot_data["rt"].i18n.error("ru", expected)
    # A language chosen with /language wins over Telegram's.
    await profiles.set_language(m.svc, CLIENT, "en")
    assert (await app.call("me", init=ru))[1]["locale"] == "en"


def test_miniapp_url_must_be_https() -> None:
    from bot.config import ConfigError, load_settings

    base = {"bot_token": "1:X", "_env_file": None}
    for bad in ("http://bot.example.com/app/", "ftp://x/app/", "https://x/app/?a=1", "app"):
        with pytest.raises(ConfigError, match="MINIAPP_URL"):
            load_settings(**base, miniapp_url=bad)
    assert load_settings(**base, miniapp_url="https://bot.example.com/app/").miniapp_url
    assert load_settings(**base, miniapp_url="http://127.0.0.1:8090/app/").miniapp_url
    with pytest.raises(ConfigError, match="MINIAPP_PORT"):
        load_settings(**base, miniapp_port="70000")


async def test_a_text_action_and_what_stays_in_the_chat(app: AppClient) -> None:
    m = app.m
    clara = m.person(CLIENT, "Clara")
    await f.people(m.svc)
    deal = await f.delivered_deal(m.svc)
    # No reason: the chat's answer to `/dispute <deal>` alone, word for word.
    await clara.send(f"/dispute {deal.id}")
    chat_says = (await clara.wait_for(lambda x: "reason" in x.text.lower())).text
    path = f"deals/{deal.id}/action"
    status, answer = await app.call(path, CLIENT, body={"action": "dispute", "text": " "})
    assert status == 400 and visible(answer["error"]) == chat_says
    status, answer = await app.call(
        path, CLIENT, body={"action": "dispute", "text": "The logo is not the one we agreed."}
    )
    assert status == 200 and answer["deal"]["state"] == "disputed"
    actions = answer["deal"]["actions"]
    evidence = m.app.bot_data["rt"].i18n.t("en", "deal-btn-evidence")
    assert {"action": "chat", "label": evidence} in actions  # files go through the chat
    status, answer = await app.call(path, CLIENT, body={"action": "fly"})
    assert status == 400 and visible(answer["error"]) == "That action is not available here."


async def test_deal_and_bids_cards_open_the_app_there(app: AppClient) -> None:
    m = app.m
    clara = m.person(CLIENT, "Clara")
    await f.people(m.svc)
    deal = await f.funded_deal(m.svc)

    def app_url(msg) -> str:
        return next(b.raw["web_app"]["url"] for b in msg.buttons if b.raw.get("web_app"))

    await clara.send(f"/deal {deal.id}")
    # The card (the funding's notice, also about this deal, may arrive after the command).
    card = await clara.wait_for(lambda x: any(b.raw.get("web_app") for b in x.buttons))
    assert app_url(card) == f"{APP_URL}?deal={deal.id}"
    await clara.send(f"/bids {deal.job_id}")
    bids = await clara.wait_for(lambda x: bool(x.inline) and "?job=" in str(x.markup))
    assert app_url(bids) == f"{APP_URL}?job={deal.job_id}"


async def test_milestones_and_weeks_on_the_dashboard(app: AppClient) -> None:
    """Issue 14's contracts: a milestone plan (its release moves the current milestone's
    money, confirmed first) and an hourly contract's weeks."""
    from bot.services import milestones
    from tests.hourly_helpers import hourly_deal

    m = app.m
    await f.people(m.svc)
    job = await f.job(m.svc, budget_min=100, budget_max=1000)
    bid = await f.bid(m.svc, job.id, FREELANCER, 600, 5)
    await milestones.set_plan(m.svc, FREELANCER, bid.id, "Design = 100; Build = 200; Launch = 300")
    deal = await deals.hire(m.svc, CLIENT, bid.id)
    await f.pay_milestone(m.svc, deal)
    await deals.deliver(m.svc, FREELANCER, deal.id, "the design")
    status, board = await app.call(f"deals/{deal.id}", CLIENT)
    assert status == 200 and len(board["milestones"]) == 3
    assert "Design" in board["milestones"][0] and board["weeks"] == []
    path = f"deals/{deal.id}/action"
    status, ask = await app.call(path, CLIENT, body={"action": "release"})
    hundred = m.app.bot_data["rt"].i18n.money("en", 100, deal.currency)
    assert hundred in visible(ask["confirm"])  # the current milestone's money, not 600
    status, done = await app.call(path, CLIENT, body={"action": "release", "confirm": True})
    assert status == 200 and "Design" in visible(done["message"])
    async with m.svc.read() as tx:
        plan = [(x.title, x.state.value) for x in await tx.milestones.of_deal(deal.id)]
    assert plan[0] == ("Design", "released")

    hourly = await hourly_deal(m.svc, client=CLIENT)
    status, board = await app.call(f"deals/{hourly.id}", CLIENT)
    assert status == 200 and board["weeks"] and board["milestones"] == []
