// The playground page. Plain JavaScript, no build step.
// Every piece of text from the server is put on the page with textContent, never parsed as HTML,
// so what members type is shown exactly as typed and never runs.
"use strict";

const state = {
  me: null,
  view: null,        // the open channel or DM: {id, name}
  thread: null,      // the open thread's parent message id
  notes: {},         // private replies to this person, by "space" or "space/thread"
  unread: new Set(),
  lastSeq: 0,        // the newest message this page has shown
  follow: false,     // after this person acts, show the newest messages wherever they had scrolled
  socket: null,
};

const $ = (id) => document.getElementById(id);

const WELCOME = [
  "1. Pick who you are with the 'You are' switcher. Each of the seven demo people sees only their own circles.",
  "2. Open a circle's channel on the left. The facilitator types /circle start; everyone checks in and bids.",
  "3. Rounds run in threads: press the buttons or type replies. Switch person to play each part.",
  "4. Skip ahead moves the clock to the next reminder, check-in or async deadline, so you can watch them happen.",
];

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function newKey() {
  return (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: "The playground didn't answer." }));
  if (!response.ok) throw new Error(data.error || "Something went wrong.");
  return data;
}

let sayTimer = null;
function say(text) {
  $("status").textContent = text;
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { $("status").textContent = ""; }, 6000);
}

// Times are shown in the time zone of the person you are, as their own client would show them.
function localTime(iso) {
  const options = { dateStyle: "medium", timeStyle: "short" };
  options.timeZone = state.me ? state.me.timezone : "UTC";
  try {
    return new Date(iso).toLocaleString([], options);
  } catch (error) {
    return new Date(iso).toUTCString();
  }
}

// Our own *emphasis* becomes bold and `code` code; member text (a person's message, a quote) stays exactly as typed.
function richText(text, emphasis) {
  const p = el("p", { className: "text" });
  if (!emphasis) {
    p.textContent = text;
    return p;
  }
  for (const part of text.split(/(`[^`\n]+`|\*[^*\n]+\*)/)) {
    if (/^`[^`\n]+`$/.test(part)) p.append(el("code", { text: part.slice(1, -1) }));
    else if (/^\*[^*\n]+\*$/.test(part)) p.append(el("strong", { text: part.slice(1, -1) }));
    else p.append(document.createTextNode(part));
  }
  return p;
}

function renderBlocks(blocks, fromBot, space) {
  const out = [];
  for (const block of blocks) {
    if (block.type === "heading") out.push(el("h3", { className: "heading", text: block.text }));
    else if (block.type === "text") out.push(richText(block.text, fromBot));
    else if (block.type === "quote") {
      out.push(el("blockquote", {}, el("cite", { text: block.author }), el("p", { className: "text", text: block.text })));
    } else if (block.type === "fields") {
      const dl = el("dl", { className: "fields" });
      for (const [name, value] of block.pairs) dl.append(el("dt", { text: name }), el("dd", { text: value }));
      out.push(dl);
    } else if (block.type === "actions") {
      const row = el("div", { className: "actions" });
      for (const b of block.buttons) {
        row.append(el("button", {
          type: "button", className: b.style, text: b.label,
          onclick: () => press(space, b.action_id, b.value),
        }));
      }
      out.push(row);
    }
  }
  return out;
}

function renderMessage(m, inThread) {
  const head = el("header", {},
    el("span", { className: "author", text: m.author }),
    m.bot ? el("span", { className: "tag", text: "app" }) : null,
    m.private ? el("span", { className: "tag private", text: "only visible to you" }) : null,
    el("time", { datetime: m.at, text: localTime(m.at) }));
  const article = el("article", { className: "msg" + (m.bot ? " bot" : "") }, head, ...renderBlocks(m.blocks, m.bot, m.space));
  if (m.links && m.links.length) {  // downloads the bot handed this person (a report's charts and CSV)
    article.append(el("p", { className: "downloads" },
      ...m.links.map((link) => el("a", { href: link.url, target: "_blank", rel: "noopener", text: link.label }))));
  }
  if (!inThread && !m.private && !m.space.startsWith("D-")) {
    const label = m.replies ? `${m.replies} ${m.replies === 1 ? "reply" : "replies"}` : "Reply in thread";
    const className = m.replies ? "link" : "link start-thread";
    article.append(el("button", { type: "button", className, text: label, onclick: () => openThread(m.id) }));
  }
  return article;
}

function renderNote(note) {
  return el("article", { className: "msg note" },
    el("header", {}, el("span", { className: "author", text: "Peer Circles" }),
      el("span", { className: "tag private", text: "only visible to you" })),
    ...renderBlocks(note.blocks, true, state.view && state.view.id));
}

// Messages and this person's private answers, each answer after what was written before it.
function renderTimeline(messages, key, inThread) {
  const notes = [...(state.notes[key] || [])];
  const out = [];
  for (const m of messages) {
    state.lastSeq = Math.max(state.lastSeq, m.seq);
    while (notes.length && notes[0].seq < m.seq) out.push(renderNote(notes.shift()));
    out.push(renderMessage(m, inThread));
  }
  return [...out, ...notes.map(renderNote)];
}

function noteKey(thread) {
  return thread ? `${state.view.id}/${thread}` : state.view.id;
}

function addNote(reply, thread) {
  state.follow = true;
  if (!reply || !reply.blocks.some((b) => b.text)) return;
  const key = noteKey(thread);
  state.notes[key] = [...(state.notes[key] || []), reply].slice(-20);
}

// The sidebar ----------------------------------------------------------------------------------

async function loadState() {
  const data = await api("GET", "/api/state");
  state.me = data.me;
  const picker = $("you-are");
  const people = JSON.stringify(data.people);
  if (picker.dataset.people !== people) {  // rebuilt only when it changed, so an open list stays open
    picker.dataset.people = people;
    picker.replaceChildren(el("option", { value: "", text: "Pick someone…" }),
      ...data.people.map((p) => el("option", { value: p.id, text: `${p.name} · ${p.department}` })));
  }
  picker.value = data.me ? data.me.id : "";
  $("clock").textContent = localTime(data.now) + (data.me ? ` (${data.me.timezone})` : " UTC");
  $("next-due").textContent = data.next_due ? `next due: ${localTime(data.next_due)}` : "nothing due";
  const channels = $("channels");
  channels.replaceChildren(...data.channels.map((c) => sidebarItem(c.id, `# ${c.name}`, c.archived ? "archived" : c.mode)));
  $("no-channels").hidden = !data.me || data.channels.length > 0;
  $("dms").replaceChildren(...(data.dm ? [sidebarItem(data.dm.id, data.dm.name, "")] : []));
  fillSwitcher(data);
  return data;
}

// On a narrow screen the sidebar gives way to this one select.
function fillSwitcher(data) {
  const options = [el("option", { value: "", text: data.me ? "Pick a channel…" : "Pick who you are first" })];
  for (const c of data.channels) {
    const unread = state.unread.has(c.id) ? " •" : "";
    options.push(el("option", { value: c.id, text: `# ${c.name}${unread}` }));
  }
  if (data.dm) options.push(el("option", { value: data.dm.id, text: `${data.dm.name} (direct messages)` }));
  const switcher = $("channel-switcher");
  const shown = JSON.stringify(options.map((o) => [o.value, o.textContent]));
  if (switcher.dataset.shown !== shown) {  // rebuilt only when it changed, so a choice being made stands
    switcher.dataset.shown = shown;
    switcher.replaceChildren(...options);
  }
  switcher.value = state.view ? state.view.id : "";
}

function sidebarItem(id, label, detail) {
  const current = state.view && state.view.id === id;
  const button = el("button", {
    type: "button", className: "channel" + (state.unread.has(id) ? " unread" : ""),
    onclick: () => openView(id),
  }, el("span", { text: label }), detail ? el("small", { text: detail }) : null);
  if (current) button.setAttribute("aria-current", "page");
  if (state.unread.has(id)) button.setAttribute("aria-description", "new messages");
  return el("li", {}, button);
}

// Views ----------------------------------------------------------------------------------------

async function openView(id) {
  state.unread.delete(id);
  if (!state.view || state.view.id !== id) state.thread = null;
  state.view = { id, name: "" };
  if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
  await refresh();
  $("composer-text").focus();
}

async function refreshView() {
  const messages = $("messages");
  if (!state.view) {
    $("view-title").textContent = state.me ? "Pick a channel" : "Welcome to the playground";
    $("view-topic").textContent = state.me
      ? "Your circles' channels are on the left. Type /circle help to see what you can do."
      : "A workspace of your own for trying Peer Circles: no Slack app or Discord bot needed.";
    messages.dataset.view = "";
    messages.replaceChildren(...WELCOME.map((line) => el("p", { className: "welcome", text: line })));
    $("composer").hidden = !state.me;
    return;
  }
  $("composer").hidden = false;
  try {
    const data = await api("GET", `/api/spaces/${encodeURIComponent(state.view.id)}`);
    state.view.name = data.name;
    $("view-title").textContent = data.id.startsWith("D-") ? data.name : `# ${data.name}`;
    $("view-topic").textContent = data.archived ? "This channel is archived." : data.topic;
    const fresh = messages.dataset.view !== data.id;
    messages.dataset.view = data.id;
    showLatest(messages, fresh, () => messages.replaceChildren(...renderTimeline(data.messages, noteKey(null), false)));
  } catch (error) {
    $("view-title").textContent = "Not available";
    $("view-topic").textContent = "";
    messages.dataset.view = "";
    messages.replaceChildren(el("p", { className: "error", text: error.message }));
    $("composer").hidden = true;
    state.thread = null;
  }
}

// Follows new messages only when the reader is already at the bottom (or has just arrived),
// so reading back through a channel is not interrupted by live updates.
function showLatest(list, fresh, render) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const kept = list.scrollTop;
  render();
  list.scrollTop = fresh || atBottom || state.follow ? list.scrollHeight : kept;
}

async function openThread(messageId) {
  state.thread = messageId;
  await refreshThread();
  $("thread-text").focus();
}

async function refreshThread() {
  const panel = $("thread");
  if (!state.thread || !state.view) {
    panel.hidden = true;
    document.body.classList.remove("thread-open");
    return;
  }
  try {
    const data = await api("GET", `/api/spaces/${encodeURIComponent(state.view.id)}/threads/${encodeURIComponent(state.thread)}`);
    panel.hidden = false;
    document.body.classList.add("thread-open");
    const list = $("thread-messages");
    const fresh = list.dataset.thread !== data.parent.id;
    list.dataset.thread = data.parent.id;
    showLatest(list, fresh, () => list.replaceChildren(renderMessage(data.parent, true),
      ...renderTimeline(data.replies, noteKey(state.thread), true)));
  } catch (error) {
    state.thread = null;
    panel.hidden = true;
    document.body.classList.remove("thread-open");
    say(error.message);
  }
}

// One refresh at a time; news that arrives meanwhile is fetched by one more pass, so an older
// answer never paints over a newer one.
let refreshing = null;
let refreshAgain = false;
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      const data = await loadState();
      if (data.form && !$("form-dialog").open) openForm(data.form, null);
      await refreshView();
      await refreshThread();
    } while (refreshAgain);
    state.follow = false;
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
  }
}

// Acting ---------------------------------------------------------------------------------------

function answer(data, thread) {
  state.follow = true;
  if (data.form) openForm(data.form, thread);  // a form opens quietly, as a modal does
  else addNote(data.reply, thread);
}

// Returns false when the message was not taken (refused, too long, not sent), so the box can give it back.
async function send(text, thread) {
  if (!state.view || !text.trim()) return true;
  let taken = true;
  try {
    const data = await api("POST", "/api/send", { space: state.view.id, thread: thread || "", text, key: newKey() });
    taken = !data.refused;
    answer(data, thread);
  } catch (error) {
    taken = false;
    addNote({ blocks: [{ type: "text", text: error.message }], seq: state.lastSeq }, thread);
  }
  await refresh();
  return taken;
}

async function press(space, actionId, value) {
  const thread = state.thread;
  try {
    const data = await api("POST", "/api/press", { space, action_id: actionId, value, key: newKey() });
    answer(data, thread);
  } catch (error) {
    addNote({ blocks: [{ type: "text", text: error.message }], seq: state.lastSeq }, thread);
  }
  await refresh();
}

function openForm(form, thread) {
  const dialog = $("form-dialog");
  $("form-title").textContent = form.title;
  $("form-intro").textContent = form.intro;
  $("form-intro").hidden = !form.intro;
  $("form-submit").textContent = form.submit_label;
  $("form-error").textContent = "";
  const fields = form.inputs.map((input) => formField(input));
  $("form-fields").replaceChildren(...fields);
  const formNode = $("form");
  formNode.onsubmit = async (event) => {
    event.preventDefault();
    const values = {};
    for (const input of form.inputs) values[input.name] = $(`field-${input.name}`).value;
    try {
      const data = await api("POST", "/api/submit", {
        form_id: form.form_id, context: form.context, values, key: newKey(),
      });
      for (const input of form.inputs) $(`field-${input.name}-error`).textContent = data.errors[input.name] || "";
      if (Object.keys(data.errors).length) {
        $(`field-${Object.keys(data.errors)[0]}`).focus();
        return;
      }
      dialog.close();
      answer(data, thread);
      await refresh();
    } catch (error) {
      $("form-error").textContent = error.message;
    }
  };
  $("form-cancel").onclick = () => dialog.close();
  dialog.showModal();
  const first = fields[0] && fields[0].querySelector("input, textarea, select");
  if (first) first.focus();
}

function formField(input) {
  const id = `field-${input.name}`;
  const label = el("label", { for: id, text: input.label + (input.required ? "" : " (optional)") });
  let control;
  if (input.choices.length) {
    control = el("select", { id, name: input.name });
    for (const choice of input.choices) {
      const option = el("option", { value: choice.value, text: choice.label });
      if (choice.value === input.initial) option.selected = true;
      control.append(option);
    }
  } else if (input.multiline) {
    control = el("textarea", { id, name: input.name, rows: "4", maxlength: String(input.max_length) });
    control.value = input.initial;
  } else {
    control = el("input", { id, name: input.name, type: "text", maxlength: String(input.max_length) });
    if (input.integer_range) control.setAttribute("inputmode", "numeric");
    control.value = input.initial;
  }
  if (input.placeholder) control.setAttribute("placeholder", input.placeholder);
  if (input.required) control.setAttribute("aria-required", "true");
  control.setAttribute("aria-describedby", `${id}-error`);
  return el("div", { className: "field" }, label, control, el("span", { id: `${id}-error`, className: "error" }));
}

// Live updates ---------------------------------------------------------------------------------

function connect() {
  if (state.socket) state.socket.close();
  if (!state.me) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  state.socket = socket;
  socket.onmessage = async (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "changed" && data.space && (!state.view || data.space !== state.view.id)) {
      state.unread.add(data.space);
    }
    await refresh();
  };
  socket.onclose = () => {
    if (state.socket === socket) setTimeout(connect, 2000);
  };
}

function composer(formId, textId, threadOf) {
  const box = $(textId);
  $(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = box.value;
    box.value = "";
    const taken = await send(text, threadOf());
    if (!taken && !box.value) box.value = text;
    box.focus();
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $(formId).requestSubmit();
    }
  });
}

async function start() {
  composer("composer", "composer-text", () => null);
  composer("thread-composer", "thread-text", () => state.thread);
  $("close-thread").addEventListener("click", () => {
    state.thread = null;
    $("thread").hidden = true;
    document.body.classList.remove("thread-open");
    $("composer-text").focus();
  });
  $("channel-switcher").addEventListener("change", (event) => {
    if (event.target.value) openView(event.target.value);
  });
  $("you-are").addEventListener("change", async (event) => {
    if (!event.target.value) return;
    await api("POST", "/api/me", { person: event.target.value });
    state.notes = {};
    state.unread.clear();
    state.thread = null;
    const data = await loadState();
    const still = state.view && (data.channels.some((c) => c.id === state.view.id));
    state.view = still ? state.view : null;
    if (!still) history.replaceState(null, "", location.pathname);
    connect();
    await refresh();
    say(`You are now ${data.me.name}.`);
  });
  $("skip-ahead").addEventListener("click", async () => {
    try {
      const data = await api("POST", "/api/skip", {});
      say(data.summary);
    } catch (error) {
      say(error.message);
    }
    await refresh();
  });
  window.addEventListener("hashchange", () => {
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (wanted && (!state.view || state.view.id !== wanted)) openView(wanted);
  });
  const data = await loadState();
  const wanted = location.hash.slice(1);
  if (wanted && data.me) state.view = { id: decodeURIComponent(wanted), name: "" };
  connect();
  await refresh();
}

document.addEventListener("DOMContentLoaded", start);
