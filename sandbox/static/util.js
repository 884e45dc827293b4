// Small helpers of the sandbox page: the HTTP API, toasts, and formatting (sandbox time is UTC).
"use strict";

(() => {
  const $ = (sel) => document.querySelector(sel);

  // ------------------------------------------------------------------------------------
  // HTTP helpers
  // ------------------------------------------------------------------------------------

  async function api(path, body) {
    const opts = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Sandbox": "1" },
      body: JSON.stringify(body),
    };
    const res = await fetch(path, opts);
    let data = {};
    try { data = await res.json(); } catch (_e) { data = {}; }
    if (!res.ok) throw new Error(data.error || `${res.status} ${res.statusText}`);
    return data;
  }

  function toast(text, kind = "info", ms = 3500) {
    const el = document.createElement("div");
    el.className = `toast ${kind}`;
    el.textContent = text;
    if (kind === "alert") {
      const ok = document.createElement("button");
      ok.type = "button";
      ok.textContent = "OK";
      ok.addEventListener("click", () => el.remove());
      el.appendChild(ok);
    } else {
      setTimeout(() => el.remove(), ms);
    }
    $("#toasts").appendChild(el);
  }

  const fail = (err) => toast(String(err.message || err), "error", 5000);

  // ------------------------------------------------------------------------------------
  // Formatting helpers
  // ------------------------------------------------------------------------------------

  function amountText(amount, currency) {
    if (currency === "XTR") return `${amount} ⭐`;
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency }).format(amount / 100);
    } catch (_e) {
      return `${(amount / 100).toFixed(2)} ${currency}`;
    }
  }

  // Sandbox time, in UTC like the bot's own texts.
  function timeText(epoch) {
    const d = new Date(epoch * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }

  // The UTC day of a sandbox time, and its label for the dividers between days.
  function dayKey(epoch) {
    return new Date(epoch * 1000).toISOString().slice(0, 10);
  }

  function dayLabel(epoch) {
    return new Date(epoch * 1000).toLocaleDateString("en-GB", {
      timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric",
    });
  }

  function sizeText(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function initials(name) {
    return (name || "?").trim().charAt(0).toUpperCase() || "?";
  }

  window.SandboxUtil = {
    api, toast, fail, amountText, timeText, dayKey, dayLabel, sizeText, el, initials,
  };
})();
