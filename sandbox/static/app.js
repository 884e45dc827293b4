// The sandbox chat page: plain JavaScript, no build step, nothing from the internet.
//
// The bot's messages are Telegram-subset HTML, drawn by telegram-html.js (a whitelist, never
// innerHTML).
"use strict";

(() => {
  const $ = (sel) => document.querySelector(sel);

  const state = {
    bot: null,
    personas: [],
    personaById: new Map(),
    chats: new Map(), // id -> chat json
    order: [],
    current: null, // chat id
    actAs: null, // persona id
    lastPersona: null, // who acts on a channel's deep-link buttons
    messages: new Map(), // message id -> json, current chat only
    unread: new Map(),
    replyTo: null,
    commands: new Map(), // persona id -> commands
    hintIndex: 0,
    typingTimer: null,
    newBelow: 0, // messages that arrived below while the person was scrolled up
    lastReset: 0, // the last reset this page drew
  };

  const INLINE_MIME = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

  const renderTelegramHtml = (source, target) => window.SandboxHtml.render(source, target);

  const {
    api, toast, fail, amountText, timeText, dayKey, dayLabel, sizeText, el, initials,
  } = window.SandboxUtil;
  const { hideHints, updateHints } = window.SandboxPanels.hints(state);

  function chatRole(chat) {
    if (chat.type === "private") {
      const p = state.personaById.get(chat.persona);
      return p ? p.role : "client";
    }
    return chat.type === "channel" ? "channel" : "group";
  }

  // ------------------------------------------------------------------------------------
  // Sidebar
  // ------------------------------------------------------------------------------------

  function renderSidebar() {
    const people = $("#persona-list");
    const groups = $("#group-list");
    people.replaceChildren();
    groups.replaceChildren();
    for (const id of state.order) {
      const chat = state.chats.get(id);
      const li = el("li", "chat-item");
      li.dataset.chat = String(chat.id);
      li.tabIndex = 0;
      if (chat.id === state.current) li.classList.add("active");
      const avatar = el("div", `avatar role-${chatRole(chat)}`, initials(chat.title));
      const body = el("div", "chat-item-body");
      const top = el("div", "chat-item-top");
      top.appendChild(el("span", "chat-item-name", chat.title));
      let sub = chat.last ? chat.last.excerpt : "";
      if (chat.type === "private") {
        const p = state.personaById.get(chat.persona);
        li.dataset.persona = String(p.user_id);
        li.title = `@${p.username} · ${p.role} · ${p.language}${p.about ? "\n" + p.about : ""}`;
        top.appendChild(el("span", "tag", p.role));
        top.appendChild(el("span", "tag", p.language));
        if (!sub) sub = `@${p.username}`;
      } else {
        top.appendChild(el("span", "tag", chat.type === "channel" ? "channel" : "group"));
        if (!sub) sub = chat.type === "channel" ? "jobs are announced here" : "moderators";
      }
      body.appendChild(top);
      body.appendChild(el("div", "chat-item-sub", sub));
      li.appendChild(avatar);
      li.appendChild(body);
      const unread = state.unread.get(chat.id) || 0;
      if (unread) li.appendChild(el("span", "badge", String(unread)));
      li.addEventListener("click", () => openChat(chat.id));
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") openChat(chat.id); });
      (chat.type === "private" ? people : groups).appendChild(li);
    }
  }

  function renderClock(clock) {
    if (!clock) return;
    $("#clock-now").textContent = clock.text;
    $("#clock-offset").textContent =
      clock.offset > 0 ? `fast-forwarded ${clock.offset_text}` : "real time";
  }

  // ------------------------------------------------------------------------------------
  // Chat
  // ------------------------------------------------------------------------------------

  async function openChat(chatId, { keepReply = false } = {}) {
    const chat = state.chats.get(chatId);
    if (!chat) return;
    state.current = chatId;
    state.unread.set(chatId, 0);
    setView("chat");
    if (!keepReply) setReply(null);
    history.replaceState(null, "", `#chat=${chatId}`);
    const members = chat.members || [];
    if (chat.type === "private") state.actAs = chat.persona;
    else if (!members.includes(state.actAs)) state.actAs = members[0] ?? null;
    if (state.actAs !== null) state.lastPersona = state.actAs;
    renderHeader();
    renderSidebar();
    const data = await api(`/api/chats/${chatId}/messages`);
    if (state.current !== chatId) return;
    state.chats.set(chatId, data.chat);
    state.messages = new Map(data.messages.map((m) => [m.id, m]));
    renderMessages();
    if (!narrow()) $("#text").focus();
  }

  // "guide", "chat", or (narrow screens, one pane at a time) "list".
  function setView(view) {
    document.body.dataset.view = view;
  }

  const narrow = () => window.matchMedia("(max-width: 700px)").matches;

  function showGuide() {
    setView("guide");
    $("#guide").scrollTop = 0;
  }

  function renderGuide() {
    window.SandboxPanels.renderGuide($("#guide-personas"), state.personas, (id) => openChat(id));
  }

  function renderHeader() {
    const chat = state.chats.get(state.current);
    if (!chat) return;
    const avatar = $("#chat-avatar");
    avatar.className = `avatar role-${chatRole(chat)}`;
    avatar.textContent = initials(chat.title);
    $("#chat-title").textContent = chat.title;
    const sub = $("#chat-subtitle");
    const select = $("#send-as");
    const wrap = $("#send-as-wrap");
    $("#app-open").hidden = chat.type !== "private";
    if (chat.type === "private") {
      const p = state.personaById.get(chat.persona);
      sub.textContent = `you are ${p.name} (@${p.username}), ${p.role}, language ${p.language}` +
        ` · private chat with @${state.bot.username}`;
      wrap.hidden = true;
    } else if (chat.type === "channel") {
      sub.textContent = "channel · the bot announces new jobs here";
      wrap.hidden = true;
    } else {
      const names = chat.members.map((id) => state.personaById.get(id)?.name).filter(Boolean);
      sub.textContent = `group · members: ${names.join(", ") || "nobody"} and @${state.bot.username}`;
      select.replaceChildren();
      for (const id of chat.members) {
        const opt = el("option", "", state.personaById.get(id).name);
        opt.value = String(id);
        if (id === state.actAs) opt.selected = true;
        select.appendChild(opt);
      }
      wrap.hidden = chat.members.length < 2;
    }
    const readOnly = chat.read_only || state.actAs === null;
    $("#composer").hidden = readOnly;
    $("#readonly-note").hidden = !readOnly;
    const acting = state.personaById.get(state.lastPersona ?? state.personas[0]?.user_id);
    $("#readonly-note").textContent = chat.type === "channel"
      ? `Read-only: the bot posts here. Its buttons open the bot as ${acting ? acting.name : "a persona"}.`
      : "No persona is a member of this chat.";
    if (readOnly) setReply(null);
  }

  function isOutgoing(msg) {
    if (msg.from_bot) return false;
    return msg.sender && msg.sender.id === state.actAs;
  }

  function renderMessages() {
    const box = $("#messages");
    box.replaceChildren();
    const list = [...state.messages.values()].filter((m) => !m.deleted);
    if (!list.length) {
      const chat = state.chats.get(state.current);
      const hint = chat && chat.type === "private"
        ? "No messages yet. Try /start, /help or /post."
        : "No messages yet.";
      box.appendChild(el("div", "empty-chat", hint));
    }
    let day = null;
    for (const msg of list) {
      if (dayKey(msg.date) !== day) {
        day = dayKey(msg.date);
        box.appendChild(renderDivider(msg.date));
      }
      box.appendChild(renderMessage(msg));
    }
    box.scrollTop = box.scrollHeight;
    clearNewBelow();
  }

  function renderDivider(epoch) {
    const div = el("div", "day-divider");
    div.dataset.day = dayKey(epoch);
    div.appendChild(el("span", "", dayLabel(epoch)));
    return div;
  }

  function nearBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  function clearNewBelow() {
    state.newBelow = 0;
    $("#new-below").hidden = true;
  }

  function noteNewBelow() {
    state.newBelow += 1;
    const btn = $("#new-below");
    btn.textContent = `↓ ${state.newBelow} new message${state.newBelow > 1 ? "s" : ""}`;
    btn.hidden = false;
  }

  function upsertMessage(msg) {
    const box = $("#messages");
    const atBottom = nearBottom(box);
    const existing = box.querySelector(`.msg-row[data-id="${msg.id}"]`);
    state.messages.set(msg.id, msg);
    if (msg.deleted) {
      if (existing) renderMessages(); // redraw: a day may have lost its last message
      return;
    }
    const row = renderMessage(msg);
    if (existing) {
      existing.replaceWith(row);
      row.classList.add("flash");
      return;
    }
    const empty = box.querySelector(".empty-chat");
    if (empty) empty.remove();
    const rows = box.querySelectorAll(".msg-row");
    const last = rows.length ? state.messages.get(Number(rows[rows.length - 1].dataset.id)) : null;
    if (!last || dayKey(last.date) !== dayKey(msg.date)) box.appendChild(renderDivider(msg.date));
    box.appendChild(row);
    if (atBottom || isOutgoing(msg)) {
      box.scrollTop = box.scrollHeight;
    } else {
      // The person is reading further up: the message is marked, and a button below says so.
      row.classList.add("unseen");
      noteNewBelow();
    }
  }

  function scrollToNewest() {
    const box = $("#messages");
    const first = box.querySelector(".msg-row.unseen");
    box.scrollTo({ top: box.scrollHeight, behavior: "smooth" });
    if (first) flashMessage(Number(first.dataset.id), "end");
    clearNewBelow();
  }

  function renderMessage(msg) {
    const row = el("div", "msg-row");
    row.dataset.id = String(msg.id);
    row.dataset.from = msg.from_bot ? "bot" : "user";
    if (msg.kind === "successful_payment" && msg.payment) {
      row.classList.add("service");
      const who = msg.sender ? msg.sender.name : "Someone";
      row.appendChild(el("div", "service-line",
        `${who} paid ${amountText(msg.payment.total_amount, msg.payment.currency)}`));
      return row;
    }
    if (isOutgoing(msg)) row.classList.add("out");
    const bubble = el("div", "bubble");
    const chat = state.chats.get(state.current);
    if (chat && chat.type !== "private" && !isOutgoing(msg) && msg.sender) {
      bubble.appendChild(el("div", "sender-name", msg.from_bot ? state.bot.first_name : msg.sender.name));
    }
    if (msg.forwarded) bubble.appendChild(el("div", "sender-name", "Forwarded message"));
    if (msg.reply_to) {
      const q = el("div", "reply-quote");
      const who = msg.reply_to.sender ? msg.reply_to.sender.name : "";
      if (who) q.appendChild(el("span", "reply-who", who));
      q.appendChild(document.createTextNode(msg.reply_to.deleted ? "deleted message" : msg.reply_to.text));
      q.addEventListener("click", () => flashMessage(msg.reply_to.id));
      bubble.appendChild(q);
    }
    if (msg.file) bubble.appendChild(renderFile(msg.file));
    if (msg.invoice) {
      bubble.classList.add("invoice");
      bubble.appendChild(el("div", "invoice-label", "Invoice"));
      bubble.appendChild(el("div", "invoice-title", msg.invoice.title));
      bubble.appendChild(el("div", "invoice-desc", msg.invoice.description));
      bubble.appendChild(el("div", "invoice-amount",
        amountText(msg.invoice.total_amount, msg.invoice.currency)));
    }
    if (msg.html) {
      const text = el("div", "msg-text");
      renderTelegramHtml(msg.html, text);
      bubble.appendChild(text);
    }
    const meta = el("div", "msg-meta");
    const actions = el("span", "msg-actions");
    if (chat && !chat.read_only && state.actAs !== null) {
      const reply = el("button", "reply-action", "Reply");
      reply.type = "button";
      reply.title = "Reply to this message";
      reply.addEventListener("click", () => setReply(msg));
      actions.appendChild(reply);
    }
    meta.appendChild(actions);
    if (msg.edited) meta.appendChild(el("span", "edited", "edited"));
    const time = el("span", "time", timeText(msg.date));
    time.title = `${new Date(msg.date * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC (sandbox time)`;
    meta.appendChild(time);
    bubble.appendChild(meta);
    row.appendChild(bubble);
    if (msg.buttons && msg.buttons.length) row.appendChild(renderKeyboard(msg));
    return row;
  }

  function renderFile(file) {
    if (file.kind === "photo" && file.inline) {
      const link = el("a", "photo-link");
      link.href = file.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.title = "Open the photo";
      const img = el("img", "photo");
      img.src = file.url;
      img.alt = "photo";
      img.loading = "lazy";
      link.appendChild(img);
      return link;
    }
    const wrap = el("div");
    if (file.inline) {  // an image sent as a file: a preview above its name
      const img = el("img", "photo preview");
      img.src = file.url;
      img.alt = file.name;
      img.loading = "lazy";
      wrap.appendChild(img);
    }
    wrap.appendChild(fileBox(file));
    return wrap;
  }

  function fileBox(file) {
    const box = el("div", "file-box");
    box.appendChild(el("div", "file-icon", "📄"));
    const info = el("div");
    const link = el("a", "file-name", file.name);
    link.href = file.url;
    link.download = file.name;
    info.appendChild(link);
    info.appendChild(el("div", "file-size", `${sizeText(file.size)} · ${file.mime_type}`));
    box.appendChild(info);
    return box;
  }

  function renderKeyboard(msg) {
    const kb = el("div", "keyboard");
    for (const row of msg.buttons) {
      const r = el("div", "kb-row");
      for (const b of row) {
        const btn = el("button", `kb-btn ${b.type}`, b.text);
        btn.type = "button";
        btn.title = b.type === "url" ? b.url : b.text;
        btn.addEventListener("click", () => pressButton(msg, b, btn));
        r.appendChild(btn);
      }
      kb.appendChild(r);
    }
    return kb;
  }

  function flashMessage(id, block = "center") {
    const row = $(`#messages .msg-row[data-id="${id}"]`);
    if (!row) return;
    row.scrollIntoView({ block, behavior: "smooth" });
    row.classList.remove("flash");
    void row.offsetWidth;
    row.classList.add("flash");
  }

  // ------------------------------------------------------------------------------------
  // Acting
  // ------------------------------------------------------------------------------------

  function deepLinkPayload(url) {
    if (!state.bot) return null;
    const m = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{1,64})$/.exec(url);
    if (!m || m[1].toLowerCase() !== state.bot.username.toLowerCase()) return null;
    return m[2];
  }

  async function followDeepLink(payload) {
    const persona = state.actAs ?? state.lastPersona ?? state.personas[0].user_id;
    if (state.current !== persona) await openChat(persona);
    await sendText(`/start ${payload}`);
  }

  // A t.me link opened by the Mini App panel (sandbox/static/miniapp.js).
  window.SandboxLinks = {
    async open(url) {
      const payload = deepLinkPayload(url);
      if (payload) await followDeepLink(payload);
      else toast(`Link: ${url}`);
    },
  };

  async function pressButton(msg, b, btn) {
    try {
      if (b.type === "web_app") {  // Telegram opens the Mini App inside the chat
        return await window.SandboxMiniApp.open(state.actAs ?? state.lastPersona, b.url);
      }
      if (b.type === "url") {
        const payload = deepLinkPayload(b.url);
        if (payload) return await followDeepLink(payload);
        toast(`Link: ${b.url}`);
        return;
      }
      if (b.type === "copy") {
        await navigator.clipboard?.writeText(b.copy || "");
        toast("Copied");
        return;
      }
      if (state.actAs === null) {
        toast("Only the bot can use this chat; open a persona's chat to act.");
        return;
      }
      btn.disabled = true;
      const body = { persona: state.actAs, chat: state.current, message: msg.id, row: b.row, col: b.col };
      if (b.type === "pay") {
        const res = await api("/api/pay", body);
        if (!res.ok) toast(res.error || "The payment was declined.", "alert");
      } else {
        await api("/api/press", body);
      }
    } catch (err) {
      fail(err);
    } finally {
      btn.disabled = false;
    }
  }

  function setReply(msg) {
    state.replyTo = msg ? { id: msg.id, excerpt: msg.excerpt } : null;
    $("#reply-bar").hidden = !msg;
    $("#reply-bar-excerpt").textContent = msg ? msg.excerpt : "";
    if (msg) $("#text").focus();
  }

  async function sendText(text) {
    const body = { persona: state.actAs, chat: state.current, text };
    if (state.replyTo) body.reply_to = state.replyTo.id;
    await api("/api/send", body);
    setReply(null);
  }

  async function onSubmit(e) {
    if (e) e.preventDefault();
    const area = $("#text");
    const text = area.value;
    if (!text.trim() || state.actAs === null) return;
    area.value = "";
    autosize();
    hideHints();
    try {
      await sendText(text);
    } catch (err) {
      area.value = text;
      fail(err);
    }
  }

  async function uploadFile(file) {
    if (!file || state.actAs === null) return;
    const form = new FormData();
    form.append("persona", String(state.actAs));
    form.append("chat", String(state.current));
    const caption = $("#text").value.trim();
    if (caption) form.append("caption", caption);
    if (state.replyTo) form.append("reply_to", String(state.replyTo.id));
    // An image goes as a photo (with a preview), anything else as a file, as in Telegram.
    form.append("as", INLINE_MIME.has(file.type) ? "photo" : "document");
    form.append("file", file, file.name);
    try {
      const res = await fetch("/api/upload", { method: "POST", headers: { "X-Sandbox": "1" }, body: form });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.error || `${res.status}`);
      $("#text").value = "";
      autosize();
      setReply(null);
    } catch (err) {
      fail(err);
    }
  }

  function askReset(open) {
    $("#reset").hidden = open;
    $("#reset-confirm").hidden = !open;
  }

  async function resetSandbox() {
    const yes = $("#reset-yes");
    yes.disabled = true;
    yes.textContent = "Starting over…";
    try {
      const res = await api("/api/reset", {});
      await afterReset(res.reset);
    } catch (err) {
      fail(err);
    } finally {
      yes.disabled = false;
      yes.textContent = "Reset";
      askReset(false);
    }
  }

  // A fresh database and empty chats (from this page or another one): draw everything anew.
  async function afterReset(resetId) {
    if (resetId <= state.lastReset) return; // this page has started over already
    state.lastReset = resetId;
    state.unread.clear();
    state.commands.clear();
    state.messages = new Map();
    state.current = null;
    setReply(null);
    history.replaceState(null, "", location.pathname);
    await loadState();
    $("#messages").replaceChildren();
    showGuide();
    toast("Started over: a fresh database and empty chats.");
  }

  async function advanceClock(seconds) {
    try {
      const clock = await api("/api/clock", { seconds });
      renderClock(clock);
      toast(`Clock moved forward ${seconds >= 86400 ? "a day" : "an hour"}: ${clock.text}`);
    } catch (err) {
      fail(err);
    }
  }

  function autosize() {
    const area = $("#text");
    area.style.height = "auto";
    area.style.height = `${Math.min(area.scrollHeight, 160)}px`;
  }

  // ------------------------------------------------------------------------------------
  // Live events
  // ------------------------------------------------------------------------------------

  function noteChat(chatId, msg) {
    const chat = state.chats.get(chatId);
    if (!chat || !msg) return;
    chat.last = { excerpt: msg.excerpt, date: msg.date };
  }

  function onEvent(ev) {
    const chatId = ev.chat_id;
    switch (ev.kind) {
      case "hello":
      case "clock":
        renderClock(ev.data);
        return;
      case "reset":
        afterReset(ev.data.reset).catch(fail);
        return;
      case "message":
      case "invoice":
      case "user_message":
        if (ev.message.from_bot) state.commands.clear(); // e.g. after /language: a new menu
        noteChat(chatId, ev.message);
        if (chatId === state.current) upsertMessage(ev.message);
        else if (ev.message.from_bot) state.unread.set(chatId, (state.unread.get(chatId) || 0) + 1);
        renderSidebar();
        return;
      case "edit":
      case "user_edit":
      case "delete":
        if (chatId === state.current && ev.message) {
          if (ev.kind === "delete") ev.message.deleted = true;
          upsertMessage(ev.message);
        }
        return;
      case "callback_answer": {
        if (ev.data.user_id !== state.actAs) return;
        if (ev.data.text) toast(ev.data.text, ev.data.show_alert ? "alert" : "info");
        return;
      }
      case "refund": {
        const p = state.personaById.get(ev.data.user_id);
        toast(`Telegram refunded ${ev.data.amount} ⭐ to ${p ? p.name : ev.data.user_id}.`);
        return;
      }
      case "chat_action":
        if (chatId === state.current) showTyping();
        return;
      case "block":
      case "unblock":
      default:
    }
  }

  function showTyping() {
    const sub = $("#chat-subtitle");
    if (!sub.dataset.saved) sub.dataset.saved = sub.textContent;
    sub.textContent = "typing…";
    sub.classList.add("typing");
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => {
      sub.textContent = sub.dataset.saved || "";
      delete sub.dataset.saved;
      sub.classList.remove("typing");
    }, 2500);
  }

  function connect() {
    const status = $("#connection");
    const source = new EventSource("/api/events");
    let wasDown = false;
    source.onopen = () => {
      status.dataset.state = "live";
      status.textContent = "live";
      if (wasDown) resync();
    };
    source.onerror = () => {
      wasDown = true;
      status.dataset.state = "down";
      status.textContent = "disconnected, retrying…";
    };
    source.onmessage = (e) => {
      try {
        onEvent(JSON.parse(e.data));
      } catch (err) {
        console.error("bad event", err, e.data);
      }
    };
  }

  async function resync() {
    try {
      await loadState();
      if (state.current !== null) await openChat(state.current, { keepReply: true });
    } catch (err) {
      fail(err);
    }
  }

  // ------------------------------------------------------------------------------------
  // Start
  // ------------------------------------------------------------------------------------

  async function loadState() {
    const data = await api("/api/state");
    state.bot = data.bot;
    state.personas = data.personas;
    state.personaById = new Map(data.personas.map((p) => [p.user_id, p]));
    state.chats = new Map(data.chats.map((c) => [c.id, c]));
    state.order = data.chats.map((c) => c.id);
    document.title = data.title;
    $("#bot-name").textContent = `@${data.bot.username} · loopback Bot API · no token needed`;
    renderClock(data.clock);
    $("#reset-box").hidden = !data.can_reset;
    state.lastReset = data.reset;
    renderSidebar();
    renderGuide();
  }

  function bind() {
    $("#composer").addEventListener("submit", onSubmit);
    const area = $("#text");
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        onSubmit();
      } else if (e.key === "Tab" && !$("#command-hints").hidden) {
        e.preventDefault();
        const active = $("#command-hints .hint.active .hint-cmd");
        if (active) area.value = `${active.textContent} `;
        hideHints();
      } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && !$("#command-hints").hidden) {
        e.preventDefault();
        state.hintIndex = Math.max(0, state.hintIndex + (e.key === "ArrowDown" ? 1 : -1));
        updateHints();
      } else if (e.key === "Escape") {
        hideHints();
        setReply(null);
      }
    });
    area.addEventListener("input", () => {
      autosize();
      state.hintIndex = 0;
      updateHints();
    });
    area.addEventListener("blur", () => setTimeout(hideHints, 150));
    $("#attach").addEventListener("click", () => $("#file-input").click());
    $("#file-input").addEventListener("change", (e) => {
      const file = e.target.files[0];
      e.target.value = "";
      uploadFile(file);
    });
    $("#reply-cancel").addEventListener("click", () => setReply(null));
    $("#send-as").addEventListener("change", (e) => {
      state.actAs = Number(e.target.value);
      state.messages.size && renderMessages();
    });
    $("#guide-open").addEventListener("click", showGuide);
    $("#app-open").addEventListener("click", () => window.SandboxMiniApp.open(state.actAs));
    for (const id of ["#back", "#guide-back"]) $(id).addEventListener("click", () => setView("list"));
    $("#reset").addEventListener("click", () => askReset(true));
    $("#reset-no").addEventListener("click", () => askReset(false));
    $("#reset-yes").addEventListener("click", resetSandbox);
    $("#new-below").addEventListener("click", scrollToNewest);
    $("#messages").addEventListener("scroll", () => {
      const box = $("#messages");
      if (state.newBelow && nearBottom(box)) {
        clearNewBelow();
        for (const row of box.querySelectorAll(".msg-row.unseen")) row.classList.remove("unseen");
      }
    });
    for (const id of ["#plus-hour", "#plus-day"]) {
      const btn = $(id);
      btn.addEventListener("click", () => advanceClock(Number(btn.dataset.seconds)));
    }
    $("#messages").addEventListener("click", (e) => {
      const spoiler = e.target.closest(".tg-spoiler");
      if (spoiler) spoiler.classList.add("revealed");
      const cmd = e.target.closest(".cmd");
      const chat = state.chats.get(state.current);
      if (cmd && state.actAs !== null && chat && !chat.read_only) {
        sendText(cmd.dataset.cmd).catch(fail);
      }
      const link = e.target.closest("a[data-href]");
      if (link) {
        const payload = deepLinkPayload(link.dataset.href);
        if (payload) {
          e.preventDefault();
          followDeepLink(payload).catch(fail);
        }
      }
    });
  }

  async function main() {
    bind();
    connect();
    try {
      await loadState();
    } catch (err) {
      fail(err);
      return;
    }
    // A link to a chat opens it; otherwise the guide comes first.
    const first = hashChat();
    if (first !== null) await openChat(first);
    else showGuide();
    window.addEventListener("hashchange", () => {
      const wanted = hashChat();
      if (wanted !== null && wanted !== state.current) openChat(wanted).catch(fail);
    });
  }

  // "#chat=<id>" in the address opens that chat (links to a chat can be shared).
  function hashChat() {
    const m = /#chat=(-?\d+)/.exec(location.hash);
    const wanted = m ? Number(m[1]) : null;
    return state.chats.has(wanted) ? wanted : null;
  }

  document.addEventListener("DOMContentLoaded", () => { main().catch(fail); });
})();
