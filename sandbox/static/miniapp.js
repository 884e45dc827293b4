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

  document.addEventListener("DOMContentLoaded", () => {
    $("#miniapp-close").addEventListener("click", close);
    $("#miniapp-theme").addEventListener("change", () => {
      if (!$("#miniapp").hidden) open(current.persona, current.url);
    });
  });

  window.SandboxMiniApp = { open, close };
})();
