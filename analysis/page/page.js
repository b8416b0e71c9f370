// tillroll html: sorting, filtering by operation, and the exchanges, decoded on demand from the
// inert gzip block. No request leaves the page; values are as the cassette stores them (redacted).
"use strict";
(function () {
  const PAGE = 50;
  const state = { all: null, shown: [], page: 0, op: null, loading: null, generation: 0, drawn: false };
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; };
  const utc = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 23);

  // -- sorting: every table.sortable, by a header's click or Enter ---------------------------------
  function sortBy(th) {
    const table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
    const dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    table.querySelectorAll("thead th").forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", dir);
    const key = (row) => { const c = row.cells[col]; const v = c.dataset.v; return v !== undefined ? parseFloat(v) : c.textContent; };
    const rows = Array.from(body.rows).sort((a, b) => { const x = key(a), y = key(b); const r = x < y ? -1 : x > y ? 1 : 0; return dir === "ascending" ? r : -r; });
    rows.forEach((r) => body.appendChild(r));
  }
  document.querySelectorAll("table.sortable thead th").forEach((th) => {
    th.tabIndex = 0;
    th.addEventListener("click", () => sortBy(th));
    th.addEventListener("keydown", (e) => { if (e.key === "Enter") sortBy(th); });
  });

  // -- the exchanges: decoded from the inert block the first time they are needed -----------------
  async function load() {
    if (state.all) return state.all;
    if (!state.loading) {
      state.loading = (async () => {
        const text = $("tillroll-data").textContent.trim();
        const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
        const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
        const data = await new Response(stream).json();
        state.all = data.exchanges;
        document.querySelector("#exchanges .filters").hidden = false;
        document.querySelector("#exchanges .pager").hidden = false;
        return state.all;
      })();
    }
    return state.loading;
  }

  function matches(x) {
    const vendor = $("f-vendor").value, outcome = $("f-outcome").value, status = $("f-status").value.trim();
    const text = $("f-text").value.trim().toLowerCase();
    if (state.op && `${x.vendor} ${x.operation}` !== state.op) return false;
    if (vendor && x.vendor !== vendor) return false;
    if (outcome && x.outcome !== outcome) return false;
    if (status && String(x.status) !== status) return false;
    if (text) {
      const hay = [x.method, x.path, x.query, x.operation, x.outcome_message, x.params_json, x.request_body_text, x.response_body_text].join(" ").toLowerCase();
      if (!hay.includes(text)) return false;
    }
    return true;
  }

  async function refresh(keepPage) {
    const generation = ++state.generation;
    const all = await load();
    if (generation !== state.generation) return;  // a later refresh (another filter) draws the list
    state.shown = all.filter(matches);
    if (!keepPage) state.page = 0;
    const pages = Math.max(1, Math.ceil(state.shown.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    const body = $("exchange-list").tBodies[0];
    body.replaceChildren();
    for (const x of state.shown.slice(state.page * PAGE, (state.page + 1) * PAGE)) {
      const tr = el("tr"); tr.tabIndex = 0; tr.dataset.id = x.id;
      if (x.outcome !== "ok") tr.className = "failed";
      tr.append(el("td", utc(x.t)), el("td", x.vendor), el("td", x.operation), el("td", x.status == null ? "-" : String(x.status)),
        el("td", x.outcome + (x.outcome !== "ok" && x.status != null && x.status < 400 ? " ⚠ in " + x.status : ""), x.outcome !== "ok" ? "warn" : ""),
        el("td", x.duration_ms == null ? "-" : x.duration_ms.toLocaleString("en-US", { maximumFractionDigits: 1 }), "num"),
        el("td", `${x.method} ${x.path}${x.query ? "?" + x.query : ""}`));
      tr.addEventListener("click", () => open(x.id));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(x.id); });
      body.appendChild(tr);
    }
    $("p-at").textContent = `${state.shown.length.toLocaleString("en-US")} exchange(s), page ${state.page + 1} of ${pages}`;
    $("f-op").textContent = state.op ? `operation: ${state.op}` : "";
    state.drawn = true;
  }

  function section(dl, name, value) {
    if (value == null || value === "") return;
    dl.append(el("dt", name), el("dd", String(value)));
  }
  function pre(title, text) {
    const box = document.createDocumentFragment();
    box.append(el("h4", title), el("pre", text));
    return box;
  }
  function pretty(text) {
    if (text == null) return null;
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }
  function headers(list) { return (list || []).map((h) => `${h.name}: ${h.value}`).join("\n"); }

  async function open(id) {
    const all = await load();
    const x = all.find((e) => e.id === id);
    const detail = $("detail");
    detail.replaceChildren();
    if (!x) { detail.append(el("p", `Exchange ${id} is not among those the page carries: tillroll query "SELECT * FROM exchanges WHERE exchange_id = '${id}'" shows it.`, "note")); detail.focus(); return; }
    detail.append(el("h3", `${x.method} ${x.scheme || "http"}://${x.host || ""}${x.port ? ":" + x.port : ""}${x.path}${x.query ? "?" + x.query : ""}`));
    const dl = el("dl");
    section(dl, "exchange", x.id); section(dl, "at (UTC)", utc(x.t)); section(dl, "vendor", x.vendor);
    section(dl, "operation", x.operation); section(dl, "status", x.status == null ? "-" : `${x.status} ${x.reason || ""}`);
    section(dl, "outcome", x.outcome + (x.outcome_message ? `: ${x.outcome_message}` : "")); section(dl, "transport error", x.error);
    section(dl, "duration", x.duration_ms == null ? null : `${x.duration_ms} ms`); section(dl, "parameters from", x.params_encoding);
    section(dl, "redactions", (x.redactions || []).map((r) => `${r.where || r[0]} (${r.rule || r[1]})`).join(", "));
    detail.append(dl);
    if (!x.full) detail.append(el("p", `Listed without its headers and bodies (the page carries a bounded number of exchanges in full): tillroll query "SELECT * FROM exchanges WHERE exchange_id = '${x.id}'" shows them.`, "note"));
    if (x.params_json) detail.append(pre("decoded parameters", pretty(x.params_json)));
    detail.append(pre("request headers", headers(x.request_headers)));
    if (x.request_body_text) detail.append(pre(`request body${x.request_truncated ? " (truncated)" : ""}`, pretty(x.request_body_text)));
    detail.append(pre("response headers", headers(x.response_headers)));
    if (x.response_body_text) detail.append(pre(`response body${x.response_truncated ? " (truncated)" : ""}`, pretty(x.response_body_text)));
    detail.focus();
  }

  // -- choosing an operation filters everything below; a finding opens its exchange ---------------
  function pick(row) {
    document.querySelectorAll("tr.picked").forEach((r) => r.classList.remove("picked"));
    state.op = state.op === row.dataset.op ? null : row.dataset.op;
    if (state.op) row.classList.add("picked");
    document.querySelectorAll("#findings tbody tr").forEach((r) => {
      r.hidden = !!state.op && `${r.cells[2].textContent} ${r.cells[3].textContent}` !== state.op;
    });
    refresh();
  }
  document.querySelectorAll("tr[data-op]").forEach((row) => {
    row.addEventListener("click", () => pick(row));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(row); });
  });
  document.querySelectorAll("tr[data-exchange]").forEach((row) => {
    row.addEventListener("click", () => open(row.dataset.exchange));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") open(row.dataset.exchange); });
  });
  for (const id of ["f-vendor", "f-outcome", "f-status", "f-text"]) $(id).addEventListener("input", () => refresh());
  $("f-clear").addEventListener("click", () => {
    for (const id of ["f-vendor", "f-outcome", "f-status", "f-text"]) $(id).value = "";
    if (state.op) pick(document.querySelector("tr.picked"));
    refresh();
  });
  $("p-prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); refresh(true); });
  $("p-next").addEventListener("click", () => { state.page += 1; refresh(true); });

  // The list is decoded when it comes into view (or when something above asks for it). Once
  // drawn it is not drawn again on coming into view: rows replaced under a click lose it.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) { observer.disconnect(); if (!state.drawn) refresh(); }
  });
  observer.observe($("exchanges"));
})();
