// The Mini App's page (bot/miniapp): browse jobs, post a job in one form, my contracts.
// Vanilla JS, no build step. Every API call carries Telegram's signed initData in the
// Authorization header ("tma <initData>"); the server trusts nothing else about who we are.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const hash = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  let tg = null;
  let me = null;
  let strings = {};

  // --- Telegram, or what stands in for it outside Telegram (the sandbox) -----------------

  function shim() {
    // Telegram hands the page its data in the URL's fragment (tgWebAppData and friends); the
    // sandbox does the same. MainButton and BackButton are drawn in the page itself.
    const initData = hash.get("tgWebAppData") || "";
    let themeParams = {};
    try { themeParams = JSON.parse(hash.get("tgWebAppThemeParams") || "{}"); } catch (e) { /* none */ }
    let user = null;
    try { user = JSON.parse(new URLSearchParams(initData).get("user") || "null"); } catch (e) { /* none */ }
    const main = $("main-button");
    const back = $("back");
    let onMain = null;
    let onBack = null;
    main.addEventListener("click", () => onMain && onMain());
    back.addEventListener("click", () => onBack && onBack());
    return {
      initData,
      initDataUnsafe: { user },
      themeParams,
      colorScheme: hash.get("tgWebAppColorScheme") || "light",
      platform: hash.get("tgWebAppPlatform") || "unknown",
      ready() {},
      expand() {},
      MainButton: {
        setText(t) { main.textContent = t; return this; },
        show() { main.hidden = false; return this; },
        hide() { main.hidden = true; return this; },
        onClick(f) { onMain = f; return this; },
        showProgress() { main.disabled = true; return this; },
        hideProgress() { main.disabled = false; return this; },
      },
      BackButton: {
        show() { back.hidden = false; return this; },
        hide() { back.hidden = true; return this; },
        onClick(f) { onBack = f; return this; },
      },
      openTelegramLink(url) {
        // Framed (the sandbox, Telegram Web): ask the host page, as Telegram's script does.
        if (window.parent !== window) {
          const path = url.replace(/^https:\/\/t\.me/, "");
          window.parent.postMessage(JSON.stringify({ eventType: "web_app_open_tg_link", eventData: { path_full: path } }), "*");
        } else window.open(url, "_blank");
      },
    };
  }

  function loadTelegram() {
    // Telegram's own script gives the real MainButton, BackButton and theme events; the
    // sandbox says so (tgWebAppPlatform=sandbox) and never loads it.
    return new Promise((resolve) => {
      if (hash.get("tgWebAppPlatform") === "sandbox" || !hash.get("tgWebAppData")) {
        resolve(null);
        return;
      }
      const s = document.createElement("script");
      s.src = "https://telegram.org/js/telegram-web-app.js";
      const done = () => resolve(window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData ? window.Telegram.WebApp : null);
      s.onload = done;
      s.onerror = () => resolve(null);
      setTimeout(() => resolve(null), 3000);
      document.head.appendChild(s);
    });
  }

  function applyTheme() {
    const root = document.documentElement;
    for (const [k, v] of Object.entries(tg.themeParams || {})) {
      root.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), v);
    }
    root.dataset.scheme = tg.colorScheme || "light";
  }

  // Whichever is current: one handler registered with Telegram, the action swapped.
  let mainAction = null;
  let backAction = null;
  function setMain(text, action) {
    mainAction = action;
    if (action) tg.MainButton.setText(text).show(); else tg.MainButton.hide();
  }
  function setBack(action) {
    backAction = action;
    if (action) tg.BackButton.show(); else tg.BackButton.hide();
  }

  // --- helpers ---------------------------------------------------------------------------

  function plain(html) {
    const t = document.createElement("textarea");
    t.innerHTML = html;
    return t.value;
  }
  const S = (key) => (key in strings ? plain(strings[key]) : key);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  // The chat's own HTML (Telegram's subset, escaped by the bot): newlines are kept by CSS.
  const setHtml = (el, html) => { el.innerHTML = html; };

  async function api(path, opts = {}) {
    const headers = { Authorization: "tma " + tg.initData };
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    Object.assign(headers, opts.headers || {});
    const r = await fetch("/app/api/" + path, { method: opts.method || (body !== undefined ? "POST" : "GET"), headers, body });
    let data = {};
    try { data = await r.json(); } catch (e) { /* no body */ }
    return { ok: r.ok, status: r.status, data };
  }

  function debounce(fn, ms) {
    let t = null;
    return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  }

  function dialog(text, withInput) {
    return new Promise((resolve) => {
      $("dialog-text").textContent = text;
      const input = $("dialog-input");
      input.hidden = !withInput;
      input.value = "";
      $("dialog").hidden = false;
      const finish = (ok) => {
        $("dialog").hidden = true;
        $("dialog-ok").onclick = null;
        $("dialog-cancel").onclick = null;
        resolve(ok ? (withInput ? input.value : true) : null);
      };
      $("dialog-ok").onclick = () => finish(true);
      $("dialog-cancel").onclick = () => finish(false);
      if (withInput) input.focus();
    });
  }

  // --- views -----------------------------------------------------------------------------

  const VIEWS = ["browse", "job", "post", "deals", "deal"];
  let tab = "browse";
  function show(view) {
    for (const v of VIEWS) $(v).hidden = v !== view;
    const top = ["browse", "post", "deals"].includes(view);
    if (top) tab = view;
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === tab);
    setBack(top ? null : () => { show(tab); if (tab === "deals") loadDeals(); });
    if (view === "post") setMain(S("publish"), publish); else setMain(null, null);
    document.body.dataset.view = view;
    window.scrollTo(0, 0);
  }

  // --- browse ----------------------------------------------------------------------------

  let cursor = "";
  let loading = false;
  let generation = 0;

  async function loadJobs(reset) {
    if (reset) { cursor = ""; generation += 1; $("jobs").textContent = ""; $("jobs-end").hidden = true; }
    if (loading || cursor === null) return;
    loading = true;
    const mine = generation;
    const p = new URLSearchParams({ q: $("q").value, category: $("cat").value, min: $("min").value, max: $("max").value, cursor });
    const r = await api("jobs?" + p.toString());
    loading = false;
    if (mine !== generation) return;
    $("filter-error").hidden = r.ok;
    if (!r.ok) { $("filter-error").textContent = plain(r.data.error || ""); cursor = null; return; }
    for (const j of r.data.jobs) {
      const li = document.createElement("li");
      li.className = "job";
      li.dataset.job = j.id;
      li.innerHTML = `<button class="item"><b>#${j.id} ${esc(j.title)}</b><span class="meta">${esc(plain(j.category))} · ${esc(plain(j.budget))}</span><span class="summary">${esc(j.summary)}</span></button>`;
      li.querySelector("button").addEventListener("click", () => openJob(j.id));
      $("jobs").appendChild(li);
    }
    cursor = r.data.next;
    if (cursor === null) {
      $("jobs-end").hidden = false;
      $("jobs-end").textContent = $("jobs").children.length ? S("end") : S("no-jobs");
    }
  }

  async function openJob(id) {
    show("job");
    $("job-card").textContent = S("loading");
    $("job-actions").textContent = "";
    $("job-note").hidden = true;
    const r = await api("jobs/" + id);
    if (!r.ok) { $("job-card").textContent = plain(r.data.error || ""); return; }
    const j = r.data;
    $("job-card").dataset.job = j.id;
    setHtml($("job-card"), j.html);
    if (j.files.length) {
      const b = document.createElement("button");
      b.className = "ghost";
      b.textContent = S("send-files") + ` (${j.files.length})`;
      b.addEventListener("click", async () => {
        const s = await api("jobs/" + j.id + "/files", { json: {} });
        $("job-note").hidden = false;
        $("job-note").textContent = plain(s.data.message || s.data.error || "");
      });
      $("job-actions").appendChild(b);
    }
    if (!j.mine && j.state === "open") {
      const b = document.createElement("button");
      b.textContent = S("bid");
      b.addEventListener("click", () => tg.openTelegramLink(j.bid_link));
      $("job-actions").appendChild(b);
    }
  }

  // --- post a job ------------------------------------------------------------------------

  let files = [];

  function category() { return (me.categories || []).find((c) => c.id === $("f-category").value) || null; }

  function buildQuestions(answers) {
    const box = $("questions");
    box.textContent = "";
    const cat = category();
    if (!cat) return;
    for (const q of cat.questions) {
      const label = document.createElement("label");
      const title = plain(q.label) + (q.required ? "" : ` (${S("optional")})`);
      let input;
      if (q.kind === "bool") {
        input = document.createElement("select");
        for (const [v, t] of [["", S("choose")], ["yes", S("yes")], ["no", S("no")]]) {
          const o = document.createElement("option"); o.value = v; o.textContent = t; input.appendChild(o);
        }
      } else {
        input = document.createElement("input");
        if (q.kind === "int") input.inputMode = "numeric";
        if (q.kind === "url") input.type = "url";
      }
      input.name = "q:" + q.id;
      input.dataset.question = q.id;
      input.value = (answers && answers[q.id]) || "";
      label.innerHTML = `<span>${esc(title)}</span>`;
      label.appendChild(input);
      const em = document.createElement("em"); em.className = "error"; em.dataset.for = "q:" + q.id;
      label.appendChild(em);
      box.appendChild(label);
    }
  }

  function collect() {
    const answers = {};
    for (const el of document.querySelectorAll("#questions [data-question]")) answers[el.dataset.question] = el.value;
    return {
      category: $("f-category").value, title: $("f-title").value, description: $("f-description").value,
      answers, budget: $("f-budget").value, deadline: $("f-deadline").value, brief: $("f-brief").value,
      nda: $("f-nda").checked, nda_text: $("f-nda-text").value,
    };
  }

  function fill(form) {
    $("f-category").value = form.category || "";
    buildQuestions(form.answers || {});
    for (const k of ["title", "description", "budget", "deadline", "brief"]) $("f-" + k).value = form[k] || "";
    $("f-nda").checked = !!form.nda;
    $("f-nda-text").value = form.nda_text || "";
    ndaRows();
  }

  function ndaRows() {
    $("nda-row").hidden = !$("f-brief").value.trim();
    $("nda-text-row").hidden = $("nda-row").hidden || !$("f-nda").checked;
  }

  function showFiles() {
    const ul = $("files");
    ul.textContent = "";
    files.forEach((f, i) => {
      const li = document.createElement("li");
      li.innerHTML = `<span>📎 ${esc(f.name)}</span>`;
      const b = document.createElement("button");
      b.className = "ghost small"; b.type = "button"; b.textContent = S("remove");
      b.addEventListener("click", async () => {
        const r = await api("files/remove", { json: { index: i } });
        if (r.ok) { files = r.data.files; showFiles(); livePreview(); }
      });
      li.appendChild(b);
      ul.appendChild(li);
    });
  }

  function showErrors(errors) {
    for (const em of document.querySelectorAll("#form em.error")) {
      const e = errors[em.dataset.for];
      em.textContent = e ? plain(e) : "";
      em.parentElement.classList.toggle("bad", !!e);
    }
  }

  function livePreview() {
    // Drawn at once from what is typed; the server's own preview replaces it once valid.
    const f = collect();
    const cat = category();
    const lines = [];
    if (f.title) lines.push(`<b>${esc(f.title)}</b>`);
    if (cat) lines.push(esc(plain(cat.label)));
    if (f.budget) lines.push("💰 " + esc(f.budget));
    if (f.deadline) lines.push("⏰ " + esc(f.deadline));
    if (f.description) lines.push("", esc(f.description));
    if (cat) {
      for (const q of cat.questions) {
        if (f.answers[q.id]) lines.push(`• ${esc(plain(q.label))}: ${esc(f.answers[q.id])}`);
      }
    }
    if (files.length) lines.push("📎 " + files.length);
    $("preview").innerHTML = lines.join("\n");
  }

  const check = debounce(async () => {
    const r = await api("check", { json: { form: collect() } });
    if (!r.ok) return;
    showErrors(r.data.errors || {});
    if (r.data.preview) setHtml($("preview"), r.data.preview);
    $("form-status").textContent = S("draft-saved");
  }, 600);

  function changed() {
    ndaRows();
    livePreview();
    check();
  }

  async function upload(file) {
    const r = await api("files", { body: file, headers: { "Content-Type": "application/octet-stream", "X-File-Name": encodeURIComponent(file.name) } });
    const em = document.querySelector('em[data-for="files"]');
    em.textContent = r.ok ? "" : plain(r.data.error || "");
    if (r.ok) { files = r.data.files; showFiles(); livePreview(); }
  }

  async function publish() {
    tg.MainButton.showProgress();
    const r = await api("publish", { json: { form: collect() } });
    tg.MainButton.hideProgress();
    if (!r.ok) {
      showErrors(r.data.errors || {});
      $("form-status").textContent = r.data.errors ? S("fix-errors") : plain(r.data.error || "");
      return;
    }
    files = [];
    fill({});
    showFiles();
    showErrors({});
    $("preview").textContent = "";
    $("form-status").innerHTML = r.data.message;
    $("form-status").dataset.job = r.data.job;
  }

  async function loadDraft() {
    const r = await api("draft");
    if (!r.ok) return;
    files = r.data.files || [];
    fill(r.data.form || {});
    showFiles();
    livePreview();
  }

  // --- my contracts ------------------------------------------------------------------------

  async function loadDeals() {
    const r = await api("deals");
    const ul = $("deal-list");
    ul.textContent = "";
    if (!r.ok) return;
    $("deals-empty").hidden = r.data.deals.length > 0;
    for (const d of r.data.deals) {
      const li = document.createElement("li");
      li.dataset.deal = d.id;
      const b = document.createElement("button");
      b.className = "item";
      b.innerHTML = d.line;
      b.addEventListener("click", () => openDeal(d.id));
      li.appendChild(b);
      ul.appendChild(li);
    }
  }

  function drawDeal(d) {
    $("deal-card").dataset.deal = d.id;
    $("deal-card").dataset.state = d.state;
    setHtml($("deal-card"), d.html);
    // A milestone contract's plan, an hourly contract's weeks (also in the card, as the chat's).
    for (const [box, list, lines] of [["deal-plan", "deal-milestones", d.milestones || []], ["deal-hours", "deal-weeks", d.weeks || []]]) {
      $(box).hidden = !lines.length;
      $(list).textContent = "";
      for (const line of lines) { const li = document.createElement("li"); li.innerHTML = line; $(list).appendChild(li); }
    }
    const tl = $("deal-timeline");
    tl.textContent = "";
    for (const line of d.timeline) { const li = document.createElement("li"); li.innerHTML = line; tl.appendChild(li); }
    const box = $("deal-actions");
    box.textContent = "";
    let stars = null;
    for (const a of d.actions) {
      const b = document.createElement("button");
      b.textContent = plain(a.label);
      b.dataset.action = a.action;
      if (a.money) b.classList.add("money");
      if (a.action === "chat") {  // done in the chat (files, evidence): the page opens it
        b.classList.add("ghost");
        b.title = S("open-chat");
        b.addEventListener("click", () => tg.openTelegramLink(me.chat_link));
        box.appendChild(b);
        continue;
      }
      b.addEventListener("click", () => act(d.id, a));
      if (a.action === "rate") {
        if (!stars) { stars = document.createElement("div"); stars.className = "row stars"; box.appendChild(stars); }
        stars.appendChild(b);
      } else box.appendChild(b);
    }
    const refresh = document.createElement("button");
    refresh.className = "ghost";
    refresh.textContent = S("refresh");
    refresh.addEventListener("click", () => openDeal(d.id));
    box.appendChild(refresh);
  }

  function say(html, bad) {
    const p = $("deal-message");
    p.hidden = false;
    p.classList.toggle("error", !!bad);
    p.innerHTML = html;
  }

  async function openDeal(id) {
    show("deal");
    $("deal-message").hidden = true;
    $("deal-card").textContent = S("loading");
    const r = await api("deals/" + id);
    if (!r.ok) { $("deal-card").textContent = plain(r.data.error || ""); $("deal-actions").textContent = ""; return; }
    drawDeal(r.data);
  }

  async function act(id, a) {
    const payload = { action: a.action };
    if (a.text) {
      const text = await dialog(plain(a.label) + "\n" + S("text-prompt"), true);
      if (text === null) return;
      payload.text = text;
    }
    if (a.stars) payload.stars = a.stars;
    let r = await api("deals/" + id + "/action", { json: payload });
    if (r.ok && r.data.confirm) {
      if (!(await dialog(plain(r.data.confirm), false))) return;
      r = await api("deals/" + id + "/action", { json: { ...payload, confirm: true } });
    }
    if (!r.ok) { say(r.data.error || "", true); return; }
    say(r.data.message || "", false);
    if (r.data.deal) drawDeal(r.data.deal);
  }

  // --- start -------------------------------------------------------------------------------

  function translate() {
    for (const el of document.querySelectorAll("[data-s]")) el.textContent = S(el.dataset.s);
    for (const el of document.querySelectorAll("[data-ph]")) el.placeholder = S(el.dataset.ph);
    document.documentElement.lang = me.locale;
    document.title = S("title");
  }

  function options(select, first) {
    select.textContent = "";
    const o = document.createElement("option"); o.value = ""; o.textContent = first; select.appendChild(o);
    for (const c of me.categories) {
      const e = document.createElement("option"); e.value = c.id; e.textContent = plain(c.label); select.appendChild(e);
    }
  }

  async function start() {
    tg = (await loadTelegram()) || shim();
    applyTheme();
    tg.ready();
    if (tg.expand) tg.expand();
    tg.MainButton.onClick(() => mainAction && mainAction());
    tg.BackButton.onClick(() => backAction && backAction());
    const r = await api("me");
    if (!r.ok) {
      $("status").textContent = r.status === 401 ? "Open this page from the bot in Telegram." : plain(r.data.error || "");
      $("status").classList.add("error");
      return;
    }
    me = r.data;
    strings = me.strings;
    translate();
    options($("cat"), S("category-any"));
    options($("f-category"), S("choose"));
    $("status").hidden = true;
    $("tabs").hidden = false;
    for (const b of document.querySelectorAll("#tabs button")) {
      b.addEventListener("click", () => { show(b.dataset.tab); if (b.dataset.tab === "deals") loadDeals(); });
    }
    const reload = debounce(() => loadJobs(true), 350);
    for (const id of ["q", "min", "max"]) $(id).addEventListener("input", reload);
    $("cat").addEventListener("change", () => loadJobs(true));
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !$("browse").hidden) loadJobs(false);
    }).observe($("more"));
    $("form").addEventListener("input", changed);
    $("f-category").addEventListener("change", () => { buildQuestions({}); changed(); });
    $("f-file").addEventListener("change", async (e) => {
      for (const f of e.target.files) await upload(f);
      e.target.value = "";
    });
    await loadDraft();
    if (query.get("deal")) { tab = "deals"; openDeal(query.get("deal")); }
    else if (query.get("job")) { show("browse"); loadJobs(true); openJob(query.get("job")); }
    else { show("browse"); loadJobs(true); }
  }

  start();
})();
