// The emulator's dashboard (docs/dashboard.md): plain JS, no framework, nothing fetched from another host.
// Pages are hash routes: #/traffic, #/request/<seq>, #/users, #/user/<braze id>, #/messaging, #/health. The journal
// arrives as server-sent events from /_emulator/requests/stream, read with fetch so the control token can be sent;
// the other pages read their JSON routes again when the stream says something new was journaled (liveReload).
"use strict";

const API = "/_emulator";
const MAX_ROWS = 1000;
const $ = (sel) => document.querySelector(sel);

// -- the control token (only an emulator started with one needs it) --------------------------------------------

function token() {
  const fromUrl = new URLSearchParams(location.hash.split("?")[1] || "").get("token");
  if (fromUrl) sessionStorage.setItem("braze-emulator-token", fromUrl);
  return sessionStorage.getItem("braze-emulator-token");
}

function headers() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function getJSON(path) {
  const res = await fetch(API + path, { headers: headers() });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) askForToken();
  if (!res.ok) throw new Error(body.message || `${res.status} ${res.statusText}`);
  return body;
}

function askForToken() {
  const form = $("#token-form");
  form.hidden = false;
  form.onsubmit = (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("braze-emulator-token", form.token.value.trim());
    form.hidden = true;
    route();
  };
}

function showError(message) {
  const el = $("#error");
  el.textContent = message || "";
  el.hidden = !message;
}

function setStatus(state, text) {
  const el = $("#status");
  el.dataset.state = state;
  el.textContent = text;
}

// -- the stream ------------------------------------------------------------------------------------------------

// Follows the journal entries matching `params`: onEntry(entry) for each, oldest first; reconnects after a break
// from the last one seen. Returns a function that stops it.
function follow(params, onEntry) {
  const control = new AbortController();
  let after = 0;
  async function run() {
    while (!control.signal.aborted) {
      const query = new URLSearchParams(params);
      if (after) query.set("after_seq", String(after));
      try {
        const res = await fetch(`${API}/requests/stream?${query}`, { headers: headers(), signal: control.signal });
        if (!res.ok) {
          const body = await res.json().catch(() => ({}));
          if (res.status === 401) askForToken();
          setStatus("down", body.message || `stream refused: ${res.status}`);
          return;
        }
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const { event, data } = parseEvent(block);
            if (event === "ready") setStatus("live", "live");
            else if (event === "entry") {
              const entry = JSON.parse(data);
              after = Math.max(after, entry.seq);
              onEntry(entry);
            }
          }
        }
      } catch (err) {
        if (control.signal.aborted) return;
      }
      setStatus("down", "reconnecting…");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  run();
  return () => control.abort();
}

function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return { event, data: data.join("\n") };
}

// -- helpers ---------------------------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function clock(seconds) {
  if (seconds == null) return "";
  const d = new Date(seconds * 1000);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

function stamp(seconds) {
  return seconds == null ? "" : new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function path(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function describeEvent(e) {
  const data = e.data || {};
  if (e.name === "ce") return `ce ${data.n}`;
  if (e.name === "p") return `p ${data.pid}`;
  return e.name;
}

function pretty(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function prettyBody(text) {
  if (text == null) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function clickable(row, href) {
  row.dataset.href = href;
  row.tabIndex = 0;
  row.addEventListener("click", () => (location.hash = href));
  row.addEventListener("keydown", (ev) => ev.key === "Enter" && (location.hash = href));
  return row;
}

function remember(listId, value) {
  if (!value) return;
  const list = document.getElementById(listId);
  if ([...list.options].some((o) => o.value === value)) return;
  list.append(el("option", { value }));
}

// -- Traffic ---------------------------------------------------------------------------------------------------

let stop = () => {};

function trafficParams() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($("#filters"))) if (value.trim()) params.set(name, value.trim());
  return params;
}

function showTraffic() {
  const body = $("#requests tbody");
  body.replaceChildren();
  let shown = 0;
  const count = $("#traffic-count");
  count.textContent = "waiting for requests…";
  const timeline = scopeTimeline(trafficParams().get("scope"));
  const stopFollowing = follow(trafficParams(), (entry) => {
    timeline.changed();
    remember("known-scopes", entry.scope);
    remember("known-endpoints", entry.endpoint);
    for (const e of entry.events || []) remember("known-codes", e.name);
    body.prepend(trafficRow(entry));
    shown += 1;
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
    count.textContent = `${shown} request${shown === 1 ? "" : "s"}, newest first`;
  });
  stop = () => {
    stopFollowing();
    timeline.stop();
  };
}

// The filtered scope's timeline, drawn by the emulator (GET /_emulator/scopes/<scope>/timeline.svg), shown as an
// image (its style stays its own) while the panel is open, read again as the scope's traffic comes (at most once per
// LIVE_MS); the link downloads the picture shown.
function scopeTimeline(scope) {
  const panel = $("#timeline");
  const picture = $("#timeline-picture");
  const link = $("#timeline-download");
  panel.hidden = !scope;
  picture.replaceChildren();
  const mine = generation;
  let timer = null;
  let url = null;
  async function load() {
    timer = null;
    if (!scope || !panel.open || mine !== generation) return;
    const res = await fetch(`${API}/scopes/${encodeURIComponent(scope)}/timeline.svg`, { headers: headers() });
    if (res.status === 401) askForToken();
    const text = await res.text();
    if (mine !== generation) return;
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        message = JSON.parse(text).message || message;
      } catch {}
      picture.replaceChildren(el("p", { class: "count" }, message));
      return;
    }
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
    link.href = url;
    link.download = `${scope}-timeline.svg`;
    picture.replaceChildren(el("img", { src: url, alt: `timeline of scope ${scope}` }));
  }
  panel.ontoggle = () => load();
  load();
  return {
    changed() {
      if (timer === null) timer = setTimeout(load, LIVE_MS);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

function trafficRow(e) {
  const status = e.response && e.response.status != null ? e.response.status : "—";
  const row = el(
    "tr",
    { class: "fresh", "data-seq": String(e.seq), "data-good": String(e.good) },
    el("td", {}, e.seq),
    el("td", {}, clock(e.received_at)),
    el("td", {}, e.scope || "—"),
    el("td", {}, `${e.request.method} ${path(e.request.url)}`),
    el("td", {}, status),
    el("td", {}, (e.user_ids || []).join(", ")),
    el("td", { class: "events" }, (e.events || []).map(describeEvent).join(" · ")),
    el("td", { class: e.good ? "result-good" : "result-bad" }, e.good ? "good" : "bad"),
  );
  return clickable(row, `#/request/${e.seq}`);
}

// -- one request -----------------------------------------------------------------------------------------------

async function showRequest(seq) {
  const { entry, decoded } = await getJSON(`/requests/${encodeURIComponent(seq)}`);
  const req = entry.request;
  $("#request-title").textContent = `#${entry.seq} ${req.method} ${path(req.url)} → ${entry.response.status ?? "no answer"}`;
  const facts = {
    result: entry.good ? "good" : "bad",
    scope: entry.scope || "—",
    received: stamp(entry.received_at),
    source: entry.source,
    "api key": entry.api_key || "—",
    device: entry.device_id || "—",
    users: (entry.user_ids || []).join(", ") || "—",
    "took (ms)": entry.duration_ms == null ? "—" : entry.duration_ms.toFixed(2),
  };
  $("#request-facts").replaceChildren(...Object.entries(facts).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const problems = [...(entry.problems || []), ...(req.wire_problems || [])];
  const faults = problems.filter((p) => p.where === "fault");
  const others = problems.filter((p) => p.where !== "fault");
  $("#request-faults").replaceChildren(...(faults.length ? [el("h3", {}, "Faults applied"), problemList(faults)] : []));
  $("#request-problems").replaceChildren(
    el("h3", {}, "Problems"),
    others.length ? problemList(others) : el("p", { class: "result-good" }, "none"),
  );
  const head = Object.entries(req.headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
  $("#request-raw").textContent = `${req.method} ${req.url}\n${head}\n\n${req.body ?? ""}`;
  $("#request-decoded").textContent = pretty(decoded);
  $("#request-answer").textContent = `${entry.response.status ?? "no answer"}\n\n${pretty(entry.response.body ?? "")}`;
}

function problemList(problems) {
  return el("ul", { class: "problems" }, ...problems.map((p) => el("li", { class: p.severity }, `${p.severity} · ${p.where}: ${p.message}`)));
}

// -- Users -----------------------------------------------------------------------------------------------------

function userParams() {
  const params = new URLSearchParams();
  const scope = $("#user-filters").scope.value.trim();
  if (scope) params.set("scope", scope);
  return params;
}

function showUsers() {
  let pending = null;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(loadUsers, 150);
  };
  const params = userParams();
  params.set("limit", "1");
  stop = follow(params, refresh);
  loadUsers();
}

async function loadUsers() {
  const { profiles } = await getJSON(`/profiles?${userParams()}`);
  const rows = profiles.map((p) => {
    const events = Object.values(p.custom_events || {}).reduce((a, b) => a + b, 0);
    const row = el(
      "tr",
      { "data-user": p.external_id || p.braze_id },
      el("td", {}, p.external_id || "(anonymous)"),
      el("td", {}, p.braze_id),
      el("td", {}, p.workspace || ""),
      el("td", {}, Object.keys(flatAttributes(p.attributes || {})).length),
      el("td", {}, events),
      el("td", {}, (p.sessions && p.sessions.count) || 0),
      el("td", {}, stamp(p.last_session)),
    );
    return clickable(row, `#/user/${encodeURIComponent(p.braze_id)}`);
  });
  $("#profiles tbody").replaceChildren(...rows);
  $("#users-count").textContent = `${profiles.length} profile${profiles.length === 1 ? "" : "s"}`;
  $("#users-empty").hidden = profiles.length > 0;
}

function flatAttributes(attributes) {
  const flat = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "custom" && value && typeof value === "object") {
      for (const [name, v] of Object.entries(value)) flat[`${name} (custom)`] = v;
    } else flat[key] = value;
  }
  return flat;
}

// What an attribute's set time is told relative to: the profile's first session, or without one when it was first seen.
function profileStart(p) {
  if (p.first_session != null) return { at: p.first_session, what: "first session" };
  const seen = (p.devices || []).map((d) => d.first_seen).filter((t) => t != null);
  return seen.length ? { at: Math.min(...seen), what: "first seen" } : null;
}

// When an attribute was last set (the server's receipt time of the request that set it): the UTC time of day, the
// full time on hover, and how long after (or before) the profile's start.
function setAtCell(seconds, start) {
  if (seconds == null) return el("td", { class: "set-at" });
  const text = new Date(seconds * 1000).toISOString().slice(11, 19) + "Z";
  const side = start && seconds < start.at ? "before" : "after";
  const since = start ? ` · ${duration(Math.abs(seconds - start.at))} ${side} ${start.what}` : "";
  return el("td", { class: "set-at", title: stamp(seconds) }, text + since);
}

function duration(seconds) {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function showUser(brazeId) {
  stop = liveReload("", (current) => loadUser(brazeId, current));
}

const HISTORY_PER_DEVICE = 1000; // the newest requests of each device the identity history reads

async function loadUser(brazeId, current) {
  const { profiles } = await getJSON(`/profiles?braze_id=${encodeURIComponent(brazeId)}`);
  if (!profiles.length) throw new Error(`no profile with braze id ${brazeId}`);
  const p = profiles[0];
  const journals = await Promise.all(
    (p.devices || []).map((d) =>
      getJSON(`/requests?device_id=${encodeURIComponent(d.device_id)}&limit=${HISTORY_PER_DEVICE}`).then((r) => r.entries),
    ),
  );
  if (!current()) return;
  showIdentity(p, journals);
  $("#user-title").textContent = p.external_id ? `${p.external_id} (${p.braze_id})` : `anonymous (${p.braze_id})`;
  const attrs = Object.entries(flatAttributes(p.attributes || {}));
  const setAt = flatAttributes(p.attribute_set_at || {}); // the same shape as attributes, so the same flat keys
  const start = profileStart(p);
  $("#user-attributes tbody").replaceChildren(
    ...attrs.map(([k, v]) =>
      el("tr", { "data-attribute": k }, el("td", {}, k), el("td", {}, pretty(v)), setAtCell(setAt[k], start)),
    ),
  );
  const events = [...(p.custom_event_log || [])].reverse();
  $("#user-events tbody").replaceChildren(
    ...events.map((e) =>
      el("tr", {}, el("td", {}, stamp(e.time)), el("td", {}, e.name), el("td", {}, JSON.stringify(e.properties || {})),
        el("td", {}, e.session_id || ""), el("td", {}, e.device_id || "")),
    ),
  );
  const sessions = (p.sessions && p.sessions.list) || [];
  $("#user-sessions tbody").replaceChildren(
    ...sessions.map((s) =>
      el("tr", {}, el("td", {}, s.session_id), el("td", {}, s.device_id || ""), el("td", {}, s.app || ""),
        el("td", {}, stamp(s.start)), el("td", {}, stamp(s.end))),
    ),
  );
}

// -- live pages: the stream as the wake-up, the JSON routes as what is shown ------------------------------------

const LIVE_MS = 500; // a page reads its routes again at most this often, however fast requests arrive
let generation = 0; // bumped by each route(): a read begun for an older page renders nothing

// Runs `load(current)` now and again after each new journal entry (of `scope`, or any), at most once per LIVE_MS
// and never two at once, the last wake-up never lost; `current()` is false once the page was left. `everyMs`: also
// this often, for what changes without a request (a fault added, an error inside the emulator).
function liveReload(scope, load, everyMs = 0) {
  const mine = generation;
  const current = () => mine === generation;
  let last = 0;
  let timer = null;
  let running = false;
  let again = false;
  async function run() {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = Date.now();
    try {
      await load(current);
      if (current()) showError("");
    } catch (err) {
      if (current()) showError(err.message);
    }
    running = false;
    if (again && current()) {
      again = false;
      wake();
    }
  }
  function wake() {
    if (timer === null) timer = setTimeout(run, Math.max(0, last + LIVE_MS - Date.now()));
  }
  const params = new URLSearchParams({ limit: "1" });
  if (scope) params.set("scope", scope);
  const stopStream = follow(params, wake);
  const ticking = everyMs ? setInterval(wake, everyMs) : null;
  run();
  return () => {
    stopStream();
    clearTimeout(timer);
    clearInterval(ticking);
  };
}

function scopeOf(formId) {
  return document.getElementById(formId).scope.value.trim();
}

function cells(...values) {
  return values.map((v) => el("td", {}, v));
}

function plural(n, word, many = word + "s") {
  return `${n} ${n === 1 ? word : many}`;
}

// -- Messaging -------------------------------------------------------------------------------------------------

// The engagement codes (Braze's SDK events) by what the user did.
const SEEN = ["si", "cci", "ffi", "bi"];
const CLICKED = ["sc", "sbc", "ccc", "bc", "pc"];
const DISMISSED = ["ccd", "bd"];
const CODE_NAMES = {
  si: "in-app impression", sc: "in-app click", sbc: "in-app button click", iec: "in-app control impression",
  cci: "card impression", ccc: "card click", ccd: "card dismissal", ccic: "card control impression",
  ffi: "feature flag impression", bi: "banner impression", bc: "banner click", bd: "banner dismissal", pc: "push open",
};

function showMessaging() {
  const scope = scopeOf("messaging-filters");
  $("#messaging-empty").hidden = Boolean(scope);
  $("#messaging-body").hidden = !scope;
  stop = liveReload(scope, (current) => (scope ? loadMessaging(scope, current) : loadSeededScopes(current)));
}

async function loadSeededScopes(current) {
  const { scopes } = await getJSON("/messaging/scopes");
  if (!current()) return;
  const form = $("#messaging-filters");
  $("#seeded-scopes tbody").replaceChildren(
    ...scopes.map((s) => {
      remember("known-scopes", s.scope);
      const row = el("tr", { "data-scope": s.scope }, ...cells(s.scope, s.segments, s.campaigns, s.canvases));
      row.tabIndex = 0;
      row.dataset.href = "";
      const pick = () => {
        form.scope.value = s.scope;
        route();
      };
      row.addEventListener("click", pick);
      row.addEventListener("keydown", (ev) => ev.key === "Enter" && pick());
      return row;
    }),
  );
  if (!scopes.length) $("#seeded-scopes tbody").append(el("tr", {}, el("td", { colSpan: 4, class: "count" }, "none yet")));
}

async function loadMessaging(scope, current) {
  const base = `/scopes/${encodeURIComponent(scope)}`;
  const [seeded, metrics, why] = await Promise.all([
    getJSON(`${base}/messaging`),
    getJSON(`${base}/metrics`),
    getJSON(`${base}/messaging/why`),
  ]);
  const members = await Promise.all(
    seeded.segments.map((s) => getJSON(`${base}/segments/${encodeURIComponent(s.id)}/members`).then((r) => r.members)),
  );
  const progress = await Promise.all(
    seeded.canvases.map((c) => getJSON(`${base}/canvases/${encodeURIComponent(c.id)}/progress`)),
  );
  if (!current()) return;
  const served = servedBy(why.decisions);
  $("#messaging-count").textContent =
    `${plural(seeded.segments.length, "segment")}, ${plural(seeded.campaigns.length, "campaign")}, ` +
    `${plural(seeded.canvases.length, "canvas", "canvases")}` + (seeded.clock_offset ? ` · clock moved on ${seeded.clock_offset} s` : "");
  $("#segments tbody").replaceChildren(
    ...seeded.segments.map((s, i) =>
      el("tr", { "data-segment": s.id }, ...cells(s.id, segmentText(s), members[i].map((m) => m.external_id || m.braze_id).join(", ") || "none")),
    ),
  );
  const pushOnly = Object.values(metrics.campaigns).filter((m) => !seeded.campaigns.some((c) => c.id === m.campaign));
  $("#campaigns").replaceChildren(
    ...seeded.campaigns.map((c) => campaignSection(c, metrics.campaigns[c.id], served[c.id] || {}, why.verdicts[c.id])),
    ...pushOnly.map((m) => campaignSection({ id: m.campaign, kind: m.kind }, m, {}, null)),
  );
  if (!seeded.campaigns.length && !pushOnly.length) $("#campaigns").append(el("p", { class: "count" }, "none seeded"));
  $("#canvases").replaceChildren(...seeded.canvases.map((c, i) => canvasSection(c, metrics.canvases[c.id], progress[i])));
  if (!seeded.canvases.length) $("#canvases").append(el("p", { class: "count" }, "none seeded"));
  $("#templates tbody").replaceChildren(
    ...[...seeded.templates].reverse().map((t) =>
      el("tr", { "data-campaign": t.campaign }, ...cells(t.campaign, t.user.replace(/^user:/, ""), t.header ?? "", t.message ?? "", templateOutcome(t))),
    ),
  );
}

// campaign -> user key -> how many answers served it (the why log keeps each scope's latest decisions)
function servedBy(decisions) {
  const found = {};
  for (const d of decisions) {
    if (!d.served) continue;
    const who = d.user_id ? `user:${d.user_id}` : `device:${d.device_id}`;
    const mine = (found[d.campaign] ||= {});
    mine[who] = (mine[who] || 0) + 1;
  }
  return found;
}

function segmentText(s) {
  const parts = (s.filters || []).map(filterText);
  for (const group of s.any_of || []) parts.push(`any of (${group.map(filterText).join(" and ")})`);
  return parts.join(" and ") || "everyone";
}

function filterText(f) {
  const name = f.name ?? f.id ?? f.type;
  return `${f.type}${name !== f.type ? " " + name : ""} ${f.op ?? ""} ${f.value !== undefined ? JSON.stringify(f.value) : ""}`.trim();
}

function triggerText(t) {
  if (!t) return "";
  if (t.type === "custom_event") return `on custom event ${t.event}`;
  if (t.type === "purchase") return `on purchase ${t.product_id || "(any)"}`;
  if (t.type === "open") return "on session start";
  return `on ${t.type}`;
}

function templateOutcome(t) {
  if (!t.aborted) return t.connected_content_error ? `sent; Connected Content: ${t.connected_content_error}` : "sent";
  return `aborted: ${t.render_error || t.abort_reason || "message aborted"}`;
}

function sum(counts, codes) {
  return codes.reduce((n, code) => n + (counts[code] || 0), 0);
}

function metricsTable(m, served) {
  const rows = [];
  const servedTimes = Object.values(served).reduce((a, b) => a + b, 0);
  if (servedTimes) rows.push(el("tr", { "data-code": "served" }, ...cells("served", "", servedTimes, Object.keys(served).length)));
  if (m && m.sent != null) rows.push(el("tr", { "data-code": "sent" }, ...cells("push sent", "", m.sent, "")));
  for (const [code, total] of Object.entries((m && m.totals) || {})) {
    rows.push(el("tr", { "data-code": code }, ...cells(CODE_NAMES[code] || code, code, total, m.uniques[code] ?? "")));
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 4, class: "count" }, "nothing served or engaged yet")));
  return el(
    "table",
    { class: "grid metrics" },
    el("thead", {}, el("tr", {}, el("th", {}, "metric"), el("th", {}, "code"), el("th", {}, "total"), el("th", {}, "users"))),
    el("tbody", {}, ...rows),
  );
}

function byUserTable(m, served) {
  const byUser = (m && m.by_user) || {};
  const users = [...new Set([...Object.keys(served), ...Object.keys(byUser)])].sort();
  if (!users.length) return el("span");
  const rows = users.map((who) => {
    const counts = byUser[who] || {};
    return el("tr", { "data-user": who }, ...cells(who.replace(/^user:/, ""), served[who] || 0, sum(counts, SEEN),
      sum(counts, CLICKED), sum(counts, DISMISSED)));
  });
  return el(
    "table",
    { class: "grid by-user" },
    el("thead", {}, el("tr", {}, ...["user", "served", "saw", "clicked", "dismissed"].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows),
  );
}

function campaignSection(c, m, served, verdict) {
  const facts = [c.kind, c.segment ? `segment ${c.segment}` : "everyone", triggerText(c.trigger)].filter(Boolean);
  return el(
    "section",
    { class: "campaign", "data-campaign": c.id },
    el("h4", {}, c.id, " ", el("span", { class: "count" }, facts.join(" · "))),
    verdict ? el("p", { class: "count verdict" }, "latest: ", verdict) : "",
    el("div", { class: "side-by-side" }, metricsTable(m, served), byUserTable(m, served)),
  );
}

function canvasSection(c, m, progress) {
  const steps = (c.steps || []).map((step) => {
    const sm = (m && m.steps[step.id]) || { totals: {}, uniques: {} };
    const counts = Object.entries(sm.totals).map(([code, n]) => `${CODE_NAMES[code] || code} ${n}`).join(", ");
    const at = Object.values(progress.users).filter((run) => run.step === step.id).length;
    return el("tr", { "data-step": step.id }, ...cells(step.id, step.type + (step.channel ? ` (${step.channel})` : ""), at, counts || "—"));
  });
  const users = Object.entries(progress.users).map(([who, run]) =>
    el("tr", { "data-user": who }, ...cells(who.replace(/^user:/, ""), run.status, run.step ?? "", run.path.join(" → "))),
  );
  return el(
    "section",
    { class: "campaign", "data-canvas": c.id },
    el("h4", {}, c.id, " ", el("span", { class: "count" }, "canvas")),
    el(
      "div",
      { class: "side-by-side" },
      el("table", { class: "grid steps" },
        el("thead", {}, el("tr", {}, ...["step", "type", "users there", "engagement"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...steps)),
      el("table", { class: "grid progress" },
        el("thead", {}, el("tr", {}, ...["user", "status", "step", "path"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...users)),
    ),
  );
}

// -- Health ----------------------------------------------------------------------------------------------------

const HEALTH_EVERY_MS = 2000; // faults are added and used up by the control API, with no journal entry to wake us

function showHealth() {
  const scope = scopeOf("health-filters");
  stop = liveReload(scope, (current) => loadHealth(scope, current), HEALTH_EVERY_MS);
}

function bytes(n) {
  const [unit, size] = n >= 1 << 20 ? ["MiB", n / (1 << 20)] : ["KiB", n / 1024];
  return `${size.toFixed(1)} ${unit}`;
}

async function loadHealth(scope, current) {
  const q = scope ? `?scope=${encodeURIComponent(scope)}` : "";
  const [stats, drift, faults, errors] = await Promise.all([
    getJSON(`/stats${q}`),
    getJSON(`/drift${q}`),
    getJSON(`/faults${q}`),
    getJSON(`/errors${q}`),
  ]);
  if (!current()) return;
  const j = stats.journal;
  const facts = {
    entries: j.entries,
    good: j.good,
    bad: j.bad,
    dropped: j.dropped ? `${j.dropped} (past the journal's cap)` : 0,
    cap: j.cap ?? "none",
    size: bytes(j.bytes) + (j.max_bytes ? ` of at most ${bytes(j.max_bytes)}` : ""),
    "latest #": j.latest_seq,
    "CORS preflights": stats.preflights ?? 0,
  };
  $("#journal-facts").replaceChildren(...Object.entries(facts).flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-fact": k }, v)]));
  $("#faults tbody").replaceChildren(
    ...faults.faults.map((f) =>
      el("tr", { "data-fault": String(f.id), class: f.remaining === 0 ? "spent" : "" },
        ...cells(f.scope, f.id, f.endpoint, f.what + (f.probability < 1 ? ` (p ${f.probability})` : ""),
          f.remaining ?? "∞", f.hits, f.remaining === 0 ? "used up" : "active")),
    ),
  );
  if (!faults.faults.length) $("#faults tbody").append(el("tr", {}, el("td", { colSpan: 7, class: "count" }, "none")));
  $("#drift-count").textContent = `${plural(drift.requests, "request")}, ${drift.bad} bad`;
  $("#drift tbody").replaceChildren(
    ...drift.problems.map((p) => el("tr", { class: `severity-${p.severity}`, "data-where": p.where }, ...cells(p.severity, p.where, p.message, p.count))),
  );
  $("#incidents tbody").replaceChildren(
    ...[...errors.errors].reverse().map((e) => el("tr", {}, ...cells(e.seq, clock(e.at), e.scope || "—", e.where, e.error))),
  );
  if (!errors.errors.length) $("#incidents tbody").append(el("tr", {}, el("td", { colSpan: 5, class: "count" }, "none")));
}

function showIdentity(p, journals) {
  const identity = {
    "external id": p.external_id || "(anonymous)",
    "braze id": p.braze_id,
    workspace: p.workspace || "",
    aliases: (p.aliases || []).map((a) => `${a.alias_label}: ${a.alias_name}`).join(", ") || "none",
    "merged from": (p.merged_from || []).join(", ") || "none",
  };
  $("#user-identity").replaceChildren(...Object.entries(identity).flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-fact": k }, v)]));
  const spans = journals.flatMap((entries, i) => identitySpans(p.devices[i].device_id, entries));
  $("#user-history tbody").replaceChildren(
    ...spans.map((s) =>
      el("tr", { "data-device": s.device }, ...cells(s.device, s.who, s.count, `#${s.first.seq} ${stamp(s.first.received_at)}`,
        `#${s.last.seq} ${stamp(s.last.received_at)}`)),
    ),
  );
  $("#user-devices tbody").replaceChildren(
    ...(p.devices || []).map((d) =>
      el("tr", { "data-device": d.device_id }, ...cells(d.device_id, d.app || "", d.platform || "", d.sdk_version || "",
        stamp(d.first_seen), stamp(d.last_seen))),
    ),
  );
  $("#user-tokens tbody").replaceChildren(
    ...(p.push_tokens || []).map((t) =>
      el("tr", { "data-device": t.device_id || "" }, ...cells(t.device_id || "—", t.app || "", t.platform || "",
        t.notifications_enabled === false ? "disabled" : "enabled", t.token)),
    ),
  );
  if (!(p.push_tokens || []).length) $("#user-tokens tbody").append(el("tr", {}, el("td", { colSpan: 5, class: "count" }, "none")));
  const attrs = p.attributes || {};
  const subscriptions = {
    email: attrs.email_subscribe ?? "not set",
    push: attrs.push_subscribe ?? "not set",
    ...Object.fromEntries(Object.entries(p.subscription_groups || {}).map(([g, state]) => [`group ${g}`, pretty(state)])),
  };
  $("#user-subscriptions").replaceChildren(
    ...Object.entries(subscriptions).flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-fact": k }, v)]),
  );
}

// One device's requests (oldest first) grouped into runs by who sent them: `anonymous`, or the users named.
function identitySpans(device, entries) {
  const spans = [];
  for (const e of entries) {
    const named = (e.user_ids || []).join(", ");
    const who = named || (e.good ? "anonymous" : "unknown (a bad request)");
    const open = spans[spans.length - 1];
    if (open && open.who === who) {
      open.last = e;
      open.count += 1;
    } else spans.push({ device, who, first: e, last: e, count: 1 });
  }
  return spans;
}

// -- routing ---------------------------------------------------------------------------------------------------

const PAGES = ["traffic", "request", "users", "user", "messaging", "health"];

async function route() {
  stop();
  stop = () => {};
  generation += 1;
  setStatus("idle", "");
  showError("");
  const [name, arg] = location.hash.replace(/^#\/?/, "").split("?")[0].split("/");
  const page = PAGES.includes(name) ? name : "traffic";
  for (const p of PAGES) document.getElementById(`page-${p}`).hidden = p !== page;
  for (const a of document.querySelectorAll("nav a")) {
    const section = { request: "traffic", user: "users" }[page] || page;
    a.classList.toggle("current", a.dataset.nav === section);
  }
  try {
    if (page === "traffic") showTraffic();
    else if (page === "request") await showRequest(decodeURIComponent(arg || ""));
    else if (page === "users") showUsers();
    else if (page === "messaging") showMessaging();
    else if (page === "health") showHealth();
    else showUser(decodeURIComponent(arg || ""));
  } catch (err) {
    showError(err.message);
  }
}

let refilter = null;
function onFilter() {
  clearTimeout(refilter);
  refilter = setTimeout(route, 200);
}

$("#filters").addEventListener("input", onFilter);
$("#filters").addEventListener("reset", () => setTimeout(route, 0));
$("#user-filters").addEventListener("input", onFilter);
$("#user-filters").addEventListener("submit", (ev) => ev.preventDefault());
for (const id of ["#messaging-filters", "#health-filters"]) {
  $(id).addEventListener("input", onFilter);
  $(id).addEventListener("submit", (ev) => ev.preventDefault());
}
$("#filters").addEventListener("submit", (ev) => ev.preventDefault());
window.addEventListener("hashchange", route);
token();
route();
