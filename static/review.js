// linkpost review page. Plain JavaScript, served by linkpost itself; the
// Content-Security-Policy allows no inline script, so everything is here.
// Text from drafts is only ever set with textContent or value, never as HTML.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const message = document.getElementById("message");
  const feedFilter = document.getElementById("feed");
  const search = document.getElementById("search");
  const help = document.getElementById("help");
  // One set of buttons, moved into the focused card (hundreds of copies
  // would cost the first load more than the drafts' text does).
  const actions = document.getElementById("actions");
  const undoStack = [];
  let focusedId = null;
  let editing = null;

  function live() { return document.getElementById("live"); }
  function cards() {
    return Array.from(document.querySelectorAll(".card")).filter((c) => !c.hidden);
  }
  function say(text, isError) {
    message.textContent = text;
    message.classList.toggle("error", Boolean(isError));
  }

  function focusCard(card) {
    document.querySelectorAll(".card.focused").forEach((c) => c.classList.remove("focused"));
    if (!card) { focusedId = null; actions.hidden = true; document.body.append(actions); return; }
    card.classList.add("focused");
    const summary = card.querySelector(".summary");
    if (actions.parentNode !== card) { summary.before(actions); }
    actions.hidden = false;
    focusedId = card.dataset.id;
    card.scrollIntoView({ block: "nearest" });
  }
  function focused() {
    const card = focusedId && document.getElementById("draft-" + focusedId);
    return card && !card.hidden ? card : null;
  }
  function move(step) {
    const list = cards();
    if (list.length === 0) { return; }
    const at = list.indexOf(focused());
    const next = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + step));
    focusCard(list[next]);
  }

  function setCounts(counts) {
    if (!counts) { return; }
    document.getElementById("count-waiting").textContent = counts.drafts;
    document.getElementById("count-approved").textContent = counts.approved;
    document.getElementById("count-rejected").textContent = counts.rejected;
  }

  async function send(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    if (!response.ok) { throw new Error(data.error || response.statusText); }
    return data;
  }

  function removeCard(card) {
    const list = cards();
    const at = list.indexOf(card);
    document.body.append(actions);
    const section = card.closest(".day");
    card.remove();
    if (section && !section.querySelector(".card")) { section.remove(); }
    const rest = cards();
    focusCard(rest[Math.min(at, rest.length - 1)] || null);
  }

  async function verdict(card, action) {
    if (!card || editing) { return; }
    const id = card.dataset.id;
    try {
      const data = await send("/draft/" + id + "/" + action);
      undoStack.push(id);
      removeCard(card);
      setCounts(data.counts);
      say(data.message);
    } catch (e) {
      say(e.message, true);
    }
  }

  async function undo() {
    const id = undoStack.pop();
    if (!id) { say("nothing to undo"); return; }
    try {
      const data = await send("/draft/" + id + "/undo");
      focusedId = id;
      await refresh(true);
      say(data.message);
    } catch (e) {
      undoStack.push(id);
      say(e.message, true);
    }
  }

  async function showSummary(card) {
    const box = card.querySelector(".summary");
    if (!box.hidden) { box.hidden = true; return; }
    try {
      const data = await fetchDraft(card.dataset.id);
      box.textContent = data.summary || "(no summary)";
      box.hidden = false;
    } catch (e) {
      say(e.message, true);
    }
  }

  async function fetchDraft(id) {
    const response = await fetch("/draft/" + id, { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) { throw new Error(data.error || response.statusText); }
    return data;
  }

  async function edit(card) {
    if (!card || editing) { return; }
    let data;
    try { data = await fetchDraft(card.dataset.id); } catch (e) { say(e.message, true); return; }
    const form = document.getElementById("editor-template").content.firstElementChild.cloneNode(true);
    form.elements.title.value = data.title;
    form.elements.tags.value = data.tags.join(", ");
    form.elements.tldr.value = data.tldr;
    form.elements.summary.value = data.summary;
    // The text the reviewer edits: a save is refused if the file changed since.
    form.dataset.fp = data.fingerprint;
    form.addEventListener("submit", (event) => { event.preventDefault(); save(card, form); });
    form.querySelector('[data-action="cancel"]').addEventListener("click", () => closeEditor());
    actions.after(form);
    editing = { card, form };
    form.elements.title.focus();
  }

  function closeEditor() {
    if (!editing) { return; }
    const card = editing.card;
    editing.form.remove();
    editing = null;
    focusCard(card);
  }

  async function save(card, form) {
    const body = {
      title: form.elements.title.value,
      tags: form.elements.tags.value.split(",").map((t) => t.trim()).filter((t) => t),
      tldr: form.elements.tldr.value,
      summary: form.elements.summary.value,
      fingerprint: form.dataset.fp,
    };
    const error = form.querySelector(".editor-error");
    try {
      const data = await send("/draft/" + card.dataset.id + "/edit", body);
      editing = null;
      form.remove();
      focusedId = card.dataset.id;
      await refresh(true);
      say(data.message);
    } catch (e) {
      // The reviewer's text stays in the form: nothing is lost.
      error.textContent = e.message;
      say(e.message, true);
    }
  }

  function open(card) {
    if (card && card.dataset.url) { window.open(card.dataset.url, "_blank", "noopener,noreferrer"); }
  }

  function applyFilters() {
    const feed = feedFilter.value;
    const words = search.value.toLowerCase().split(/\s+/).filter((w) => w);
    document.querySelectorAll(".card").forEach((card) => {
      // The card's own text: title, source, tags, tldr.
      const text = card.textContent.toLowerCase();
      const show = (!feed || card.dataset.feed === feed) && words.every((w) => text.includes(w));
      card.hidden = !show;
    });
    document.querySelectorAll(".day").forEach((day) => {
      day.hidden = !day.querySelector(".card:not([hidden])");
    });
    if (!focused()) { focusCard(cards()[0] || null); }
  }

  // New drafts (from `linkpost run`) and changes made elsewhere appear
  // without a reload: a light poll of a stamp, then the live part reloaded.
  async function refresh(force) {
    // Not while editing (the form would go), nor while nobody looks.
    if (editing || (!force && document.hidden)) { return; }
    const current = live();
    if (!force) {
      const response = await fetch("/stamp", { credentials: "same-origin" });
      if (!response.ok || (await response.text()) === current.dataset.stamp) { return; }
    }
    const response = await fetch("/live", { credentials: "same-origin" });
    if (!response.ok || editing) { return; }
    const html = await response.text();
    // Server-rendered, escaped by the template.
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
    if (fresh) { current.replaceWith(document.adoptNode(fresh)); }
    addLater();
    applyFilters();
    const card = focusedId && document.getElementById("draft-" + focusedId);
    focusCard(card || cards()[0] || null);
  }
  setInterval(() => { refresh(false).catch(() => {}); }, 3000);

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    const card = event.target.closest(".card");
    if (card && !event.target.closest("form")) { focusCard(card); }
    if (!button || !card || button.closest("form")) { return; }
    const action = button.dataset.action;
    if (action === "approve" || action === "reject") { verdict(card, action); }
    if (action === "edit") { edit(card); }
    if (action === "summary") { showSummary(card); }
  });
  document.getElementById("undo").addEventListener("click", undo);
  document.getElementById("help-button").addEventListener("click", () => { help.hidden = !help.hidden; });
  feedFilter.addEventListener("change", applyFilters);
  search.addEventListener("input", applyFilters);

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (editing) { closeEditor(); } else { help.hidden = true; search.blur(); }
      return;
    }
    const typing = event.target.closest("input, textarea, select");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const keys = {
      j: () => move(1),
      k: () => move(-1),
      a: () => verdict(focused(), "approve"),
      r: () => verdict(focused(), "reject"),
      e: () => edit(focused()),
      o: () => open(focused()),
      u: () => undo(),
      "?": () => { help.hidden = !help.hidden; },
    };
    const run = keys[event.key];
    if (run) { event.preventDefault(); run(); }
  });

  // Drafts past the first screenfuls come in a <template>: added after the
  // first paint, a day continued in the day it belongs to.
  function addLater() {
    const more = document.getElementById("more-drafts");
    if (!more) { return; }
    const root = live();
    more.remove();
    Array.from(more.content.querySelectorAll(".day")).forEach((section) => {
      const days = root.querySelectorAll(".day");
      const last = days[days.length - 1];
      if (last && last.dataset.day === section.dataset.day) {
        last.append(...section.querySelectorAll(".card"));
      } else {
        root.append(section);
      }
    });
    applyFilters();
  }

  focusCard(cards()[0] || null);
  requestAnimationFrame(() => setTimeout(() => {
    addLater();
    document.body.dataset.ready = "true";
    performance.mark("linkpost-all-drafts");
  }, 0));
})();
