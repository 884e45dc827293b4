// The 📱 App panel: the bot's Mini App in an iframe, as Telegram opens it inside the chat,
// with initData signed for the persona by the sandbox (GET /api/miniapp).
"use strict";

(() => {
  const $ = (sel) => document.querySelector(sel);
  const { api, fail } = window.SandboxUtil;
  let current = { persona: null, url: null };

  async function open(persona, url) {
    if (persona === null || persona === undefined) {
      window.SandboxUtil.toast("Open a persona's chat first: the app opens as that person.");
      return;
    }
    current = { persona, url: url || null };
    const theme = $("#miniapp-theme").value;
    const q = new URLSearchParams({ persona: String(persona), theme });
    if (url) q.set("url", url);
    try {
      const data = await api(`/api/miniapp?${q.toString()}`);
      $("#miniapp-frame").src = data.url;
      $("#miniapp").hidden = false;
      document.body.dataset.miniapp = "open";
    } catch (err) {
      fail(err);
    }
  }

  function close() {
    $("#miniapp").hidden = true;
    $("#miniapp-frame").src = "about:blank";
    delete document.body.dataset.miniapp;
  }

  // The app asks to open a t.me link (Telegram's web_app_open_tg_link): a deep link into the
  // bot is followed in the persona's chat, as a tap on it in Telegram would.
  window.addEventListener("message", (e) => {
    const frame = $("#miniapp-frame");
    if (e.source !== frame.contentWindow) return;
    let msg = null;
    try { msg = typeof e.data === "string" ? JSON.parse(e.data) : e.data; } catch (_e) { return; }
    if (!msg || msg.eventType !== "web_app_open_tg_link") return;
    const path = String((msg.eventData && msg.eventData.path_full) || "");
    close();
    if (window.SandboxLinks) window.SandboxLinks.open(`https://t.me${path}`).catch(fail);
  });

  document.addEventListener("DOMContentLoaded", () => {
    $("#miniapp-close").addEventListener("click", close);
    $("#miniapp-theme").addEventListener("change", () => {
      if (!$("#miniapp").hidden) open(current.persona, current.url);
    });
  });

  window.SandboxMiniApp = { open, close };
})();
