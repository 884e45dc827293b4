// Two panels of the sandbox page that need little of its state: the guide's list of people,
// and the command hints under the input box.
"use strict";

(() => {
  const $ = (sel) => document.querySelector(sel);
  const { api, fail, el, initials } = window.SandboxUtil;

  function renderGuide(list, personas, openChat) {
    list.replaceChildren();
    for (const p of personas) {
      const li = el("li", "guide-persona");
      li.appendChild(el("div", `avatar role-${p.role}`, initials(p.name)));
      const text = el("div", "guide-persona-text");
      const head = el("div");
      head.appendChild(el("b", "", p.name));
      head.appendChild(document.createTextNode(
        ` · ${p.role} · ${p.language === "ru" ? "Russian" : "English"}`));
      text.appendChild(head);
      text.appendChild(el("div", "muted", p.about ? `@${p.username}: ${p.about}` : `@${p.username}`));
      li.appendChild(text);
      const go = el("button", "guide-go", `Chat as ${p.name}`);
      go.type = "button";
      go.addEventListener("click", () => Promise.resolve(openChat(p.user_id)).catch(fail));
      li.appendChild(go);
      list.appendChild(li);
    }
  }

  // The "/" menu under the input box, in the persona's language for the chat. `state` is the
  // page's: commands (a cache), chats, current, actAs, hintIndex.
  function hints(state) {
    async function commandsFor(persona, chatId) {
      const key = `${persona}:${chatId}`;
      if (!state.commands.has(key)) {
        try {
          const data = await api(`/api/commands?persona=${persona}&chat=${chatId}`);
          state.commands.set(key, data.commands || []);
        } catch (_e) {
          return [];
        }
      }
      return state.commands.get(key);
    }

    function hideHints() {
      $("#command-hints").hidden = true;
    }

    async function updateHints() {
      const value = $("#text").value;
      const box = $("#command-hints");
      const chat = state.chats.get(state.current);
      if (!/^\/[a-z0-9_]*$/i.test(value) || state.actAs === null || !chat || chat.read_only) {
        hideHints();
        return;
      }
      const prefix = value.slice(1).toLowerCase();
      const list = (await commandsFor(state.actAs, chat.id)).filter((c) => c.command.startsWith(prefix));
      box.replaceChildren();
      if (!list.length) { hideHints(); return; }
      state.hintIndex = Math.min(state.hintIndex, list.length - 1);
      list.forEach((c, i) => {
        const item = el("div", `hint${i === state.hintIndex ? " active" : ""}`);
        item.appendChild(el("span", "hint-cmd", `/${c.command}`));
        item.appendChild(el("span", "hint-desc", c.description));
        item.addEventListener("mousedown", (e) => {
          e.preventDefault();
          $("#text").value = `/${c.command} `;
          hideHints();
          $("#text").focus();
        });
        box.appendChild(item);
      });
      box.hidden = false;
    }

    return { hideHints, updateHints };
  }

  window.SandboxPanels = { renderGuide, hints };
})();
