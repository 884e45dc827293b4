"""The Mini App in a real browser (Debian's Chromium driven by Playwright for Python), served
by the sandbox as in polling mode and opened as Telegram opens it: with initData signed for
the persona in the URL's fragment, and from the chat page's web_app buttons.

Shows: posting a job through the form (a category question and a file), finding it by
search, opening it from the chat; a contract dashboard reflecting a release done in the
chat; screenshots at 360 px in the light and the dark theme (docs/miniapp/*.png).
Skipped, with the reason on the terminal, where Chromium or Playwright is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.run import Sandbox
from tests import factories as f
from tests.test_sandbox_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    ChatPage,
    _missing,
    _say,
    watch_errors,
)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "miniapp"
PHONE = {"width": 360, "height": 740}
ALICE, CAROL = 1001, 2001


@pytest.fixture
def browser_ready(request: pytest.FixtureRequest) -> None:
    reason = _missing()
    if reason is not None:
        message = f"SKIPPED Mini App browser test: {reason}"
        _say(request, message)
        pytest.skip(message)


@pytest.fixture
async def sandbox(browser_ready: None, tmp_path: Path):
    async with Sandbox(port=0, database=tmp_path / "sandbox.db", persist_clock=False) as sb:
        yield sb


@pytest.fixture
async def browser(browser_ready: None, tmp_path: Path):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=PHONE,
        )
        try:
            yield context
        finally:
            await context.close()


def signed(sb: Sandbox, uid: int, theme: str = "light", address: str | None = None) -> str:
    assert sb.web is not None and sb.web.miniapp is not None
    return sb.web.miniapp.url(sb.web.miniapp.user(str(uid)), address, theme)


async def open_app(context, url: str, errors: list[str]):
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watch_errors(page, errors)
    await page.goto(url)
    await page.locator("#tabs").wait_for()
    return page


async def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


async def test_post_a_job_in_the_form_find_it_and_open_it_from_the_chat(
    sandbox: Sandbox, browser, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    errors: list[str] = []
    page = await open_app(browser, signed(sandbox, ALICE), errors)
    await page.locator("#tabs button[data-tab=post]").click()
    await expect(page.locator("#main-button")).to_have_text("Publish")
    await page.select_option("#f-category", "programming")
    await page.fill("#f-title", "Bakery orders bot")
    await page.fill("#f-description", "Orders, a menu and delivery slots for a family bakery.")
    await page.fill('[name="q:stack"]', "python aiohttp")  # the category's own question
    await page.fill("#f-budget", "abc")
    # Bad input: the chat flow's sentence under the field, live.
    await expect(page.locator('em[data-for="budget"]')).to_contain_text("whole number")
    await page.fill("#f-budget", "100-200")
    await page.fill("#f-deadline", "7d")
    spec = tmp_path / "spec.txt"
    spec.write_text("The bakery's menu and its delivery slots.")
    await page.set_input_files("#f-file", str(spec))
    await expect(page.locator("#files li")).to_contain_text("spec.txt")
    await expect(page.locator('em[data-for="budget"]')).to_have_text("")
    await expect(page.locator("#preview")).to_contain_text("Bakery orders bot")
    await expect(page.locator("#form-status")).to_have_text("Draft saved")
    await page.locator("#preview").scroll_into_view_if_needed()
    await shoot(page, "post-light")

    # Closing the app keeps the draft: a new page finds the form as it was.
    again = await open_app(browser, signed(sandbox, ALICE, "dark"), errors)
    await again.locator("#tabs button[data-tab=post]").click()
    await expect(again.locator("#f-title")).to_have_value("Bakery orders bot")
    await expect(again.locator('[name="q:stack"]')).to_have_value("python aiohttp")
    await expect(again.locator("#files li")).to_contain_text("spec.txt")
    await shoot(again, "post-dark")
    await again.close()

    await page.locator("#main-button").click()
    await expect(page.locator("#form-status")).to_contain_text("is live")
    job_id = int(await page.locator("#form-status").get_attribute("data-job") or 0)
    async with sandbox.app.bot_data["rt"].svc.read() as tx:
        job = await tx.jobs.get(job_id)
    assert job is not None and job.answers == {"stack": "python aiohttp"}
    assert [x["name"] for x in job.files] == ["spec.txt"]

    # Carol finds it by search, in her own app.
    carol = await open_app(browser, signed(sandbox, CAROL), errors)
    await carol.fill("#q", "bakery")
    hit = carol.locator(f'#jobs li[data-job="{job_id}"]')
    await expect(hit).to_contain_text("Bakery orders bot")
    await shoot(carol, "browse-light")
    await hit.locator("button").click()
    await expect(carol.locator("#job-card")).to_contain_text("python aiohttp")
    await expect(carol.locator("#back")).to_be_visible()
    await carol.locator("#back").click()
    await expect(carol.locator("#browse")).to_be_visible()
    dark = await open_app(browser, signed(sandbox, CAROL, "dark"), errors)
    await dark.fill("#q", "bakery")
    await expect(dark.locator(f'#jobs li[data-job="{job_id}"]')).to_be_visible()
    await shoot(dark, "browse-dark")

    # From the chat: the job card's web_app button opens the app at the job.
    chat_page = await browser.new_page()
    chat_page.set_default_timeout(TIMEOUT_MS)
    await chat_page.set_viewport_size({"width": 1200, "height": 800})
    await chat_page.goto(sandbox.url)
    chat = ChatPage(chat_page)
    await chat.open("Carol")
    card = await chat.send(f"/job {job_id}", f"#{job_id}")
    url = sandbox.miniapp_url + f"?job={job_id}"
    button = next(
        b for m in sandbox.server.chat_messages(CAROL) for b in m.buttons if b.raw.get("web_app")
    )
    assert button.raw["web_app"]["url"] == url
    await card.locator(".kb-btn.web_app").click()
    frame = chat_page.frame_locator("#miniapp-frame")
    await expect(frame.locator("#job-card")).to_contain_text("Bakery orders bot")
    await shoot(chat_page, "sandbox-panel")  # the sandbox's 📱 App panel beside the chat
    # Bid in the chat: the app hands the deep link to the chat, which starts the bid flow.
    before = await chat.last_id()
    await frame.locator("#job-actions button", has_text="Bid in the chat").click()
    await chat.new_bot_message(before, f"#{job_id}")
    await expect(chat_page.locator("#miniapp")).to_be_hidden()
    # The chat header's 📱 App opens it too, as whoever's chat is open.
    await chat.open("Alice")
    await chat_page.locator("#app-open").click()
    await frame.locator("#tabs button[data-tab=post]").click()
    await expect(frame.locator("#f-title")).to_have_value("")  # her draft went with Publish
    await frame.locator("#tabs button[data-tab=browse]").click()
    await expect(frame.locator(f'#jobs li[data-job="{job_id}"]')).to_be_visible()
    assert errors == []


async def test_the_contract_dashboard_follows_a_release_in_the_chat(
    sandbox: Sandbox, browser
) -> None:
    from playwright.async_api import expect

    svc = sandbox.app.bot_data["rt"].svc
    deal = await f.delivered_deal(svc)
    errors: list[str] = []
    page = await open_app(browser, signed(sandbox, ALICE), errors)
    await page.locator("#tabs button[data-tab=deals]").click()
    item = page.locator(f'#deal-list li[data-deal="{deal.id}"]')
    await item.locator("button").click()
    await expect(page.locator("#deal-card")).to_have_attribute("data-state", "delivered")
    await expect(page.locator('#deal-actions button[data-action="release"]')).to_be_visible()
    await expect(page.locator("#deal-timeline li").first).to_be_visible()
    await shoot(page, "deal-light")

    # A money action asks first: Keep changes nothing.
    await page.locator('#deal-actions button[data-action="release"]').click()
    await expect(page.locator("#dialog-text")).to_contain_text("Release")
    await page.locator("#dialog-cancel").click()
    await expect(page.locator("#deal-card")).to_have_attribute("data-state", "delivered")

    # Released in the chat; the dashboard shows it at its next look.
    alice = sandbox.user(ALICE)
    await alice.send(f"/release {deal.id}")
    await alice.wait_for(f"Deal #{deal.id} is complete")  # the chat answered: released
    await page.locator("#deal-actions button.ghost").last.click()  # Refresh
    await expect(page.locator("#deal-card")).to_have_attribute("data-state", "released")
    await expect(page.locator('#deal-actions button[data-action="release"]')).to_have_count(0)
    await expect(page.locator('#deal-actions button[data-action="rate"]')).to_have_count(5)

    at_deal = f"{sandbox.miniapp_url}?deal={deal.id}"  # as the deal card's web_app button
    dark = await open_app(browser, signed(sandbox, ALICE, "dark", at_deal), errors)
    await expect(dark.locator("#deal-card")).to_have_attribute("data-state", "released")
    await shoot(dark, "deal-dark")
    assert errors == []
