"""A real browser walks the sandbox page: post a job, bid, hire, pay, deliver, release.

Headless Chromium from Debian's packages (``/usr/bin/chromium``, or ``SANDBOX_CHROMIUM``),
driven by Playwright for Python through ``executable_path``; no downloaded browser.  Where
either is missing the test is skipped, and the reason is printed on the terminal.

The bot's wording belongs to other modules, so the walk waits for *new* bot messages rather
than exact sentences, and matches only stable landmarks: button labels ("Other", "Publish",
"Bid", "Confirm", "Accept", "Release") and the identifiers ("Job #1", "Bid #1", "Deal #1").
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.run import Sandbox
from tests import factories as f
from tests.factories import png

CHROMIUM = os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 15_000


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(
        CHROMIUM
    ):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def _say(request: pytest.FixtureRequest, text: str) -> None:
    """Print on the terminal even while pytest captures output."""
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if capman is None:
        print(text)
        return
    with capman.global_and_fixture_disabled():
        print(f"\n{text}", flush=True)


@pytest.fixture
def browser_ready(request: pytest.FixtureRequest) -> None:
    reason = _missing()
    if reason is not None:
        message = f"SKIPPED sandbox browser test: {reason}"
        _say(request, message)
        pytest.skip(message)


@pytest.fixture
async def sandbox(browser_ready: None, tmp_path: Path):
    async with Sandbox(port=0, database=tmp_path / "sandbox.db", persist_clock=False) as sb:
        yield sb


async def expect_image(page, selector: str) -> None:
    """The last image matching `selector` is on the page and drawn (its bytes loaded)."""
    await page.wait_for_function(
        "(sel) => { const all = document.querySelectorAll(sel); const img = all[all.length - 1];"
        " return !!img && img.complete && img.naturalWidth > 0; }",
        arg=selector,
    )


async def launch(pw, tmp_path: Path, **kw):
    return await pw.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        **kw,
    )


def watch_errors(page, errors: list[str]) -> None:
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )


class ChatPage:
    """Small verbs over the page, in the words of a person using it."""

    def __init__(self, page) -> None:
        self.page = page

    async def open(self, name: str) -> None:
        item = self.page.locator(
            ".chat-item", has=self.page.locator(".chat-item-name", has_text=name)
        )
        await item.first.click()
        await self.page.locator("#chat-title", has_text=name).wait_for()
        await self.page.wait_for_function(
            "() => document.querySelector('#messages').children.length > 0"
        )

    async def last_id(self) -> int:
        return await self.page.evaluate(
            "() => Math.max(0, ...[...document.querySelectorAll('#messages .msg-row')]"
            ".map(r => Number(r.dataset.id)))"
        )

    async def new_bot_message(self, after: int, text: str | re.Pattern | None = None):
        """Wait for a bot message with an id above ``after`` (and the text); return it."""
        await self.page.wait_for_function(
            "(n) => [...document.querySelectorAll('#messages .msg-row[data-from=\"bot\"]')]"
            ".some(r => Number(r.dataset.id) > n)",
            arg=after,
        )
        rows = self.page.locator('#messages .msg-row[data-from="bot"]')
        if text is not None:
            rows = rows.filter(has_text=text)
        row = rows.last
        await row.wait_for()
        return row

    async def send(self, text: str, expect: str | re.Pattern | None = None):
        before = await self.last_id()
        box = self.page.locator("#text")
        await box.fill(text)
        await box.press("Enter")
        return await self.new_bot_message(before + 1, expect)

    async def press(
        self, label: str | re.Pattern, expect: str | re.Pattern | None = None, *, on=None
    ):
        """Press the last inline button with that label (in ``on``, a message row, if given)."""
        before = await self.last_id()
        scope = on if on is not None else self.page.locator("#messages")
        await scope.locator(".kb-btn", has_text=label).last.click()
        return await self.new_bot_message(before, expect)


async def test_walk_post_bid_hire_pay_deliver_release(
    sandbox: Sandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.async_api import async_playwright, expect

    errors: list[str] = []
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1360, "height": 900},
        )
        try:
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on(
                "console",
                lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None,
            )
            page.on(
                "response",
                lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
            )
            await page.goto(sandbox.url)
            await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
            await expect(page.locator("#persona-list .chat-item")).to_have_count(5)
            await expect(page.locator("#group-list .chat-item")).to_have_count(2)
            chat = ChatPage(page)

            # The client posts a job through the guided flow.
            await chat.open("Alice")
            await chat.send("/post")
            await chat.press("Other")
            await chat.send("Edit my landing page copy")
            await chat.send(
                "Please rewrite the copy of our landing page: about 500 words, friendly tone."
            )
            await chat.send("100")
            await chat.send("3d")
            await chat.press(re.compile("skip", re.I))
            await chat.press(re.compile("done", re.I))
            await chat.press("Publish", "Job #1")

            # The job shows up in the jobs channel; its deep link opens the bot as Carol.
            await chat.open("Carol")
            await chat.open("Marketplace jobs")
            channel_post = page.locator(".msg-row", has_text="Job #1").last
            await channel_post.wait_for()
            before = await chat.last_id()
            await channel_post.locator(".kb-btn.url").first.click()
            await page.locator("#chat-title", has_text="Carol").wait_for()
            card = await chat.new_bot_message(before, "Job #1")

            # The freelancer bids through the guided flow.
            await chat.press(re.compile(r"^\W*Bid\W*$"), on=card)
            await chat.send("90")
            await chat.send("2")
            await chat.send("I have rewritten dozens of landing pages; happy to help.")
            await chat.press("Confirm", "Bid #1")

            # The client sees the bid, hires, and pays the invoice with Stars.
            await chat.open("Alice")
            notice = page.locator('.msg-row[data-from="bot"]', has_text="Bid #1").last
            await notice.wait_for()
            await chat.press(re.compile("bids", re.I), "Bid #1", on=notice)
            await chat.press("Accept")
            invoice = page.locator(".msg-row", has=page.locator(".invoice")).last
            await invoice.wait_for()
            await expect(invoice).to_contain_text("Deal #1")
            before = await chat.last_id()
            await invoice.locator(".kb-btn.pay").click()
            await page.locator(".service-line", has_text="paid").wait_for()
            await chat.new_bot_message(before, "Deal #1")

            # A reply from the page: Alice replies to the invoice with /deal 1.
            await invoice.locator(".reply-action").click()
            await expect(page.locator("#reply-bar")).to_be_visible()
            await chat.send("/deal 1", "Deal #1")
            await expect(page.locator(".msg-row.out .reply-quote").last).to_be_visible()

            # The freelancer delivers, with a file uploaded through the page.
            await chat.open("Carol")
            await page.locator('.msg-row[data-from="bot"]', has_text="Deal #1").last.wait_for()
            await chat.send("/deliver 1 Here is the new copy, ready to paste.", "Deal #1")
            before = await chat.last_id()
            await page.set_input_files(
                "#file-input",
                files=[
                    {
                        "name": "landing-copy.txt",
                        "mimeType": "text/plain",
                        "buffer": b"Welcome! This is the new landing page copy.\n",
                    }
                ],
            )
            await page.locator(".msg-row.out .file-name", has_text="landing-copy.txt").wait_for()
            await chat.new_bot_message(before + 1)
            # A photo too: sent as a photo, with its preview.
            before = await chat.last_id()
            await page.set_input_files(
                "#file-input",
                files=[{"name": "mockup.png", "mimeType": "image/png", "buffer": png()}],
            )
            await expect_image(page, ".msg-row.out img.photo")
            await chat.new_bot_message(before + 1)

            # The client gets the delivery, the file and the photo included, and releases.
            await chat.open("Alice")
            await page.locator(".file-name", has_text="landing-copy.txt").last.wait_for()
            await expect_image(page, '.msg-row[data-from="bot"] img.photo')
            delivered = page.locator(
                '.msg-row[data-from="bot"]', has=page.locator(".kb-btn", has_text="Release")
            ).last
            await delivered.wait_for()
            answer = await chat.press("Release", on=delivered)
            confirm = answer.locator(".kb-btn", has_text=re.compile("release", re.I))
            if await confirm.count():  # the answer replaces the question (one message)
                await confirm.first.click()
            await page.locator(
                '.msg-row[data-from="bot"]', has_text=re.compile(r"Deal #1.*released", re.S)
            ).last.wait_for()

            # The freelancer is told; the clock moves on from the page.
            await chat.open("Carol")
            await page.locator('.msg-row[data-from="bot"]', has_text="Deal #1").last.wait_for()
            await page.locator("#plus-hour").click()
            await expect(page.locator("#clock-offset")).to_contain_text("+1h")
            await chat.open("Alice")

            shot = tmp_path / "sandbox.png"
            await page.screenshot(path=str(shot), full_page=False)
        finally:
            await context.close()

    svc = sandbox.app.bot_data["rt"].svc
    async with svc.read() as tx:
        deal = await tx.deals.get(1)
    assert deal is not None and str(getattr(deal.state, "value", deal.state)) == "released"
    assert sandbox.clock.offset == 3600
    assert not errors, errors
    assert shot.stat().st_size > 10_000
    _say(request, f"sandbox screenshot: {shot}")


async def whole(page, selector: str, width: int) -> list[str]:
    """What is wrong with the elements matching `selector`: cut off (text wider than its
    box) or outside the `width` of the screen; [] when each is whole and on screen."""
    problems = []
    for item in await page.locator(selector).all():
        if not await item.is_visible():
            continue
        box = await item.bounding_box()
        assert box is not None
        label = (await item.inner_text()).strip() or selector
        if box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
            problems.append(f"{label!r} is outside the screen: {box}")
        cut = await item.evaluate("e => e.scrollWidth > e.clientWidth + 1")
        if cut:
            problems.append(f"{label!r} is cut off")
    return problems


async def test_guide_photo_days_new_messages_a_phone_and_reset(
    sandbox: Sandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.async_api import async_playwright, expect

    alice_id = sandbox.user("Alice").id
    errors: list[str] = []
    async with async_playwright() as pw:
        context = await launch(pw, tmp_path, viewport={"width": 1280, "height": 800})
        try:
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            watch_errors(page, errors)
            await page.goto(sandbox.url)
            await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
            chat = ChatPage(page)

            # The guide is the first thing on the page: who is who, and what to try.
            guide = page.locator("#guide")
            await expect(guide).to_be_visible()
            await expect(guide).to_contain_text("How to use the sandbox")
            await expect(guide.locator(".guide-persona")).to_have_count(5)
            for p in sandbox.personas:
                await expect(guide).to_contain_text(p.name)
                await expect(guide).to_contain_text(p.about)
            await expect(guide.locator(".guide-steps li")).to_have_count(5)
            await guide.get_by_role("button", name="Chat as Alice").click()
            await expect(guide).to_be_hidden()
            await page.locator("#chat-title", has_text="Alice").wait_for()
            await page.locator('.msg-row[data-from="bot"]').first.wait_for()
            await page.locator("#guide-open").click()
            await expect(guide).to_be_visible()
            await chat.open("Alice")

            # A photo goes as a photo and shows as one.
            before = await chat.last_id()
            await page.set_input_files(
                "#file-input",
                files=[{"name": "screenshot.png", "mimeType": "image/png", "buffer": png()}],
            )
            await expect_image(page, ".msg-row.out img.photo")
            await chat.new_bot_message(before + 1)

            # One day, one divider; a day later, a second one before the new messages.
            dividers = page.locator("#messages .day-divider")
            await expect(dividers).to_have_count(1)
            first_day = await dividers.first.inner_text()
            await page.locator("#plus-day").click()
            await expect(page.locator("#clock-offset")).to_contain_text("+1d")
            await chat.send("/help", "Both sides")
            await expect(dividers).to_have_count(2)
            second_day = await dividers.last.inner_text()
            today = datetime.fromtimestamp(sandbox.clock.now(), UTC)
            assert second_day == f"{today:%A}, {today.day} {today:%B} {today.year}" != first_day
            order = await page.evaluate(
                "() => [...document.querySelectorAll('#messages > *')]"
                ".map(e => e.classList.contains('day-divider') ? 'day' : e.dataset.from)"
            )
            assert order[0] == "day" and order[-3:] == ["day", "user", "bot"], order

            # Scrolled up, a new message does not pull the page away: it is marked, and a
            # button says it is there; the button brings it into view.
            await page.evaluate("() => { document.querySelector('#messages').scrollTop = 0; }")
            await sandbox.app.bot.send_message(alice_id, "A message while you read above.")
            new_below = page.locator("#new-below")
            await expect(new_below).to_be_visible()
            await expect(new_below).to_contain_text("1 new message")
            unseen = page.locator(".msg-row.unseen", has_text="A message while you read above.")
            await expect(unseen).to_have_count(1)
            assert not await unseen.is_visible() or not await unseen.evaluate(
                "e => { const b = document.querySelector('#messages').getBoundingClientRect();"
                " const r = e.getBoundingClientRect(); return r.top < b.bottom; }"
            )
            await new_below.click()
            await expect(new_below).to_be_hidden()
            await expect(unseen).to_be_in_viewport()

            # A phone-sized screen: one pane at a time, nothing cut off.
            await page.set_viewport_size({"width": 400, "height": 780})
            await page.goto(f"{sandbox.url}/?phone")  # no #chat= link: the guide first
            await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
            await expect(guide).to_be_visible()
            assert await whole(page, "#guide .guide-persona b", 400) == []
            await page.locator("#guide-back").click()
            await expect(page.locator("#sidebar")).to_be_visible()
            assert await whole(page, ".chat-item-name", 400) == []
            await chat.open("Alice")
            await expect(page.locator("#sidebar")).to_be_hidden()
            await expect_image(page, ".msg-row.out img.photo")
            for selector in ("#chat-title", "#text", "#send", "#attach", "#back"):
                assert await whole(page, selector, 400) == [], selector
            box = await page.locator("#text").bounding_box()
            assert box is not None and box["width"] >= 200
            overflow = await page.evaluate(
                "() => { const m = document.querySelector('#messages');"
                " return m.scrollWidth - m.clientWidth; }"
            )
            assert overflow <= 0
            await chat.send("/balance", "balance")
            # The picture: the photo, the day that follows it, the input box.
            await page.evaluate(
                "() => document.querySelector('.msg-row.out img.photo')"
                ".scrollIntoView({block: 'center'})"
            )
            assert await whole(page, "#chat-title", 400) == []
            phone = tmp_path / "sandbox-400.png"
            await page.screenshot(path=str(phone))
            await page.locator("#back").click()
            await expect(page.locator("#sidebar")).to_be_visible()
            await page.set_viewport_size({"width": 1280, "height": 800})

            # Reset: asked once more, then a fresh database and empty chats.
            svc = sandbox.app.bot_data["rt"].svc
            job = await f.job(svc, alice_id)
            await chat.open("Marketplace jobs")  # posted by the service: no answer to Alice
            await page.locator(".msg-row", has_text=f"Job #{job.id}").last.wait_for()
            await page.locator("#reset").click()
            await expect(page.locator("#reset-confirm")).to_be_visible()
            await page.locator("#reset-yes").click()
            await expect(page.locator(".toast", has_text="Started over")).to_be_visible()
            await expect(guide).to_be_visible()
            await expect(page.locator("#clock-offset")).to_have_text("real time")
            await chat.open("Alice")
            await page.locator('.msg-row[data-from="bot"]').first.wait_for()
            await expect(page.locator(".msg-row", has_text=f"Job #{job.id}")).to_have_count(0)
            await expect(page.locator("#messages img.photo")).to_have_count(0)
            first = page.locator("#messages .msg-row").first
            await expect(first).to_have_text(re.compile(r"^/start"))
        finally:
            await context.close()

    async with sandbox.app.bot_data["rt"].svc.read() as tx:
        assert await tx.jobs.get(job.id) is None
    assert sandbox.clock.offset == 0
    assert not errors, errors
    assert phone.stat().st_size > 10_000
    _say(request, f"sandbox screenshot at 400 px: {phone}")


SANITIZER_CASES = [
    # (Telegram HTML from the bot, what the page must build)
    ("<b>bold</b> <i>it</i> <u>u</u> <s>s</s>", "<b>bold</b> <i>it</i> <u>u</u> <s>s</s>"),
    ("<strong>a</strong><em>b</em><ins>c</ins><del>d</del>", "<b>a</b><i>b</i><u>c</u><s>d</s>"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)"&gt;'),
    ('<b onclick="alert(1)" style="x">y</b>', "<b>y</b>"),
    ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
    (
        '<a href="https://example.org/?a=1&amp;b=2">link</a>',
        '<a href="https://example.org/?a=1&amp;b=2" data-href="https://example.org/?a=1&amp;b=2"'
        ' target="_blank" rel="noopener noreferrer">link</a>',
    ),
    (
        '<span class="tg-spoiler">s</span>',
        '<span class="tg-spoiler" title="spoiler: click to reveal">s</span>',
    ),
    ("<span>plain</span>", "&lt;span&gt;plain&lt;/span&gt;"),
    (
        "<tg-spoiler>t</tg-spoiler>",
        '<span class="tg-spoiler" title="spoiler: click to reveal">t</span>',
    ),
    (
        '<pre><code class="language-python">x = 1</code></pre>',
        '<pre><code class="language-python">x = 1</code></pre>',
    ),
    ("<blockquote>q</blockquote>", "<blockquote>q</blockquote>"),
    ("&lt;b&gt;not bold&lt;/b&gt; &amp; &#9733;", "&lt;b&gt;not bold&lt;/b&gt; &amp; ★"),
    ("1 < 2 > 0", "1 &lt; 2 &gt; 0"),
    ("</b>stray", "&lt;/b&gt;stray"),
    (
        "Try /post or /help",
        'Try <span class="cmd" data-cmd="/post">/post</span> or '
        '<span class="cmd" data-cmd="/help">/help</span>',
    ),
    ("<code>/post</code>", "<code>/post</code>"),
]


@pytest.fixture
async def bare_page(browser_ready: None):
    """The page in front of a Bot API server with no bot: enough for the renderer."""
    from sandbox.botapi import BotApiServer
    from sandbox.web import Persona, SandboxWeb

    server = await BotApiServer(token="1:X", bot_username="bare_bot").start()
    server.add_user(7, "Solo", "solo", "en", started=True)
    web = await SandboxWeb(server, [Persona(7, "Solo", "solo", "en", "client")], port=0).start()
    try:
        yield web
    finally:
        await web.stop()
        await server.stop()


async def test_the_page_renders_only_telegram_tags(bare_page, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
        )
        try:
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            dialogs: list[str] = []
            page.on("dialog", lambda d: dialogs.append(d.message))
            await page.goto(bare_page.url)
            await page.wait_for_function("() => window.sandboxRenderTelegramHtml")
            got = await page.evaluate(
                "(cases) => cases.map(c => window.sandboxRenderTelegramHtml(c).innerHTML)",
                [source for source, _ in SANITIZER_CASES],
            )
        finally:
            await context.close()
    for (source, want), have in zip(SANITIZER_CASES, got, strict=True):
        assert have == want, f"{source!r}: got {have!r}, want {want!r}"
    assert not dialogs
