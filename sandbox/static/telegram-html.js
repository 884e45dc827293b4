// Telegram-subset HTML -> DOM, for the sandbox page (no innerHTML, nothing from the internet).
//
// The bot's messages are Telegram-subset HTML. They are never given to innerHTML: the small
// parser below builds DOM nodes for Telegram's tags only (b, i, u, s, code, pre, a,
// blockquote, span.tg-spoiler and their aliases) and turns everything else into plain text.
"use strict";

(() => {
  // ------------------------------------------------------------------------------------
  // Telegram HTML -> DOM (whitelist)
  // ------------------------------------------------------------------------------------

  const SIMPLE_TAGS = {
    b: "b", strong: "b", i: "i", em: "i", u: "u", ins: "u", s: "s", strike: "s", del: "s",
    code: "code", pre: "pre", blockquote: "blockquote",
  };
  const NAMED = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: "\u00a0" };
  const TAG_RE = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(\/?)>/;
  const ATTR_RE = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const SAFE_URL = /^(https?:|tg:|mailto:)/i;

  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g, (whole, body) => {
      if (body[0] === "#") {
        const code = body[1] === "x" || body[1] === "X"
          ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        if (!code || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
        return String.fromCodePoint(code);
      }
      const named = NAMED[body.toLowerCase()];
      return named === undefined ? whole : named;
    });
  }

  function parseAttrs(raw) {
    const attrs = {};
    if (!raw) return attrs;
    ATTR_RE.lastIndex = 0;
    let m;
    while ((m = ATTR_RE.exec(raw)) !== null) {
      const value = m[2] ?? m[3] ?? m[4] ?? "";
      attrs[m[1].toLowerCase()] = decodeEntities(value);
    }
    return attrs;
  }

  // Returns an element for an allowed opening tag, or null (the tag is then shown as text).
  function openElement(name, attrs) {
    if (SIMPLE_TAGS[name]) {
      const el = document.createElement(SIMPLE_TAGS[name]);
      if (name === "code" && /^language-[\w+#.-]{1,32}$/.test(attrs.class || "")) {
        el.className = attrs.class;
      }
      if (name === "blockquote" && "expandable" in attrs) el.classList.add("expandable");
      return el;
    }
    if (name === "a") {
      const el = document.createElement("a");
      const href = attrs.href || "";
      if (SAFE_URL.test(href)) {
        el.href = href;
        el.dataset.href = href;
        el.target = "_blank";
        el.rel = "noopener noreferrer";
      }
      return el;
    }
    if (name === "tg-spoiler" || (name === "span" && attrs.class === "tg-spoiler")) {
      const el = document.createElement("span");
      el.className = "tg-spoiler";
      el.title = "spoiler: click to reveal";
      return el;
    }
    if (name === "tg-emoji") return document.createElement("span");
    return null;
  }

  // "/command" in running text is clickable, as in Telegram (not inside code or links).
  const COMMAND_RE = /(^|[\s(«"“])(\/[a-zA-Z0-9_]{1,32})(?![\w/@])/g;

  function appendText(parent, text, plain) {
    if (plain) {
      parent.appendChild(document.createTextNode(text));
      return;
    }
    let last = 0;
    COMMAND_RE.lastIndex = 0;
    let m;
    while ((m = COMMAND_RE.exec(text)) !== null) {
      const start = m.index + m[1].length;
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      const cmd = document.createElement("span");
      cmd.className = "cmd";
      cmd.textContent = m[2];
      cmd.dataset.cmd = m[2];
      parent.appendChild(cmd);
      last = start + m[2].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderTelegramHtml(source, target) {
    const root = document.createDocumentFragment();
    const stack = [{ name: null, el: root }];
    let text = "";
    const flush = () => {
      if (text) {
        const plain = stack.some((f) => f.name === "code" || f.name === "pre" || f.name === "a");
        appendText(stack[stack.length - 1].el, decodeEntities(text), plain);
        text = "";
      }
    };
    let i = 0;
    while (i < source.length) {
      const lt = source.indexOf("<", i);
      if (lt < 0) { text += source.slice(i); break; }
      text += source.slice(i, lt);
      const m = TAG_RE.exec(source.slice(lt));
      if (!m) { text += "<"; i = lt + 1; continue; }
      const closing = m[1] === "/";
      const name = m[2].toLowerCase();
      if (closing) {
        let depth = -1;
        for (let k = stack.length - 1; k > 0; k--) {
          if (stack[k].name === name) { depth = k; break; }
        }
        if (depth < 0) { text += m[0]; i = lt + m[0].length; continue; }
        flush();
        stack.length = depth;
      } else {
        const el = openElement(name, parseAttrs(m[3]));
        if (!el) { text += m[0]; i = lt + m[0].length; continue; }
        flush();
        stack[stack.length - 1].el.appendChild(el);
        if (m[4] !== "/") stack.push({ name, el });
      }
      i = lt + m[0].length;
    }
    flush();
    target.appendChild(root);
  }

  window.SandboxHtml = { render: renderTelegramHtml };

  // Exposed for tests and the curious: the sanitiser, pure.
  window.sandboxRenderTelegramHtml = (source) => {
    const div = document.createElement("div");
    renderTelegramHtml(source, div);
    return div;
  };
})();
