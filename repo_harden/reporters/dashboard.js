// The repo-harden audit dashboard. Reads the JSON in #report-data and builds the page.
// Every text from the report goes in as text (textContent, text nodes), never as markup;
// links are made only to http(s) addresses. Tables show one page of rows at a time, so an
// organization of 10,000 repositories and 100,000 findings opens at once.
(() => {
  "use strict";

  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const STR = DATA.strings;
  const R = DATA.repos;
  const F = DATA.findings;
  const NREPO = R.name.length;
  const NF = F.repo.length;
  const SEV = ["error", "warning", "note"];
  const STATUS = ["audited", "skipped", "failed"];
  const RULES = DATA.rules.map(([code, name, severity, summary, doc, url]) => ({
    code, name, severity, summary, doc, url,
  }));
  const family = (code) => code.replace(/[0-9]+$/, "");
  const RULE_FAMILY = RULES.map((rule) => family(rule.code));
  const FAMILIES = [...new Set(RULE_FAMILY)];
  const SELECTED = DATA.selected ? new Set(DATA.selected) : null;
  const number = new Intl.NumberFormat("en");
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  const nameIndex = new Map(R.name.map((name, r) => [name, r]));
  const fmt = (n) => number.format(n);
  const plural = (n, word, many) => `${fmt(n)} ${n === 1 ? word : many || word + "s"}`;

  // Elements ---------------------------------------------------------------------------

  function h(tag, props, ...kids) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "href") setHref(node, value);
        else if (key === "on") for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
        else if (key in node && typeof value !== "string") node[key] = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    append(node, kids);
    return node;
  }

  function append(node, kids) {
    for (const kid of kids) {
      if (kid === null || kid === undefined || kid === false) continue;
      if (Array.isArray(kid)) append(node, kid);
      else node.append(typeof kid === "string" || typeof kid === "number" ? String(kid) : kid);
    }
  }

  function safeUrl(text) {
    try {
      const url = new URL(text);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function setHref(node, url) {
    if (url.startsWith("#")) node.setAttribute("href", url);
    else {
      const safe = safeUrl(url);
      if (safe) {
        node.setAttribute("href", safe);
        node.setAttribute("rel", "noopener noreferrer");
        node.setAttribute("target", "_blank");
      }
    }
  }

  const badge = (kind, text, title) => h("span", { class: `badge badge-${kind}`, title }, text);
  const sevBadge = (sev) => h("span", { class: `sev sev-${SEV[sev]}` }, SEV[sev]);
  const statusBadge = (status) => h("span", { class: `status status-${STATUS[status]}` }, STATUS[status]);
  const count = (n) => h("span", { class: n ? null : "zero" }, fmt(n));

  // Links to GitHub ----------------------------------------------------------------------

  function repoUrl(r) {
    if (R.url[r]) return safeUrl(R.url[r]);
    return DATA.web ? safeUrl(`${DATA.web}/${R.name[r]}`) : null;
  }

  const encodeSegment = (part) => (part === "." || part === ".." ? part.replace(/\./g, "%2E") : encodeURIComponent(part));

  function findingUrl(r, path, line, rule) {
    const base = repoUrl(r);
    if (!base) return null;
    const ref = R.head[r] || "HEAD";
    if (!path) return family(rule) === "BP" ? `${base}/settings/branches` : `${base}/tree/${ref}`;
    const where = path.split("/").map(encodeSegment).join("/");
    return `${base}/blob/${ref}/${where}${line ? "#L" + line : ""}`;
  }

  const repoHash = (r) => "#repo/" + encodeURIComponent(R.name[r]);
  const repoLink = (r) => h("a", { href: repoHash(r), class: "repo-link" }, R.name[r]);

  // Indexes ------------------------------------------------------------------------------

  const isNew = new Uint8Array(NF);
  for (const i of F.new) isNew[i] = 1;
  const offsets = new Int32Array(NREPO + 1);
  for (let i = 0; i < NF; i++) offsets[F.repo[i] + 1]++;
  for (let r = 0; r < NREPO; r++) offsets[r + 1] += offsets[r];
  const byRepo = new Int32Array(NF);
  {
    const cursor = offsets.slice(0, NREPO);
    for (let i = 0; i < NF; i++) byRepo[cursor[F.repo[i]]++] = i;
  }
  const base = { e: new Int32Array(NREPO), w: new Int32Array(NREPO), n: new Int32Array(NREPO), x: new Int32Array(NREPO) };
  const ruleFindings = new Int32Array(RULES.length);
  const ruleRepos = new Int32Array(RULES.length);
  const ruleNew = new Int32Array(RULES.length);
  {
    const seen = new Int32Array(RULES.length).fill(-1);
    for (let r = 0; r < NREPO; r++) {
      for (let k = offsets[r]; k < offsets[r + 1]; k++) {
        const i = byRepo[k];
        const sev = F.sev[i];
        (sev === 0 ? base.e : sev === 1 ? base.w : base.n)[r]++;
        if (isNew[i]) { base.x[r]++; ruleNew[F.rule[i]]++; }
        ruleFindings[F.rule[i]]++;
        if (seen[F.rule[i]] !== r) { seen[F.rule[i]] = r; ruleRepos[F.rule[i]]++; }
      }
    }
  }
  const statusCount = [0, 0, 0];
  for (let r = 0; r < NREPO; r++) statusCount[R.status[r]]++;
  let lowerNames = null;
  let lowerStrings = null;

  // A table that sorts by any column and shows a page at a time ---------------------------

  class Grid {
    constructor({ label, caption, columns, row, pageSize = 100, sort = 0, descending = false, domain }) {
      this.label = label;
      this.columns = columns;
      this.row = row;
      this.pageSize = pageSize;
      this.sortColumn = sort;
      this.descending = descending;
      this.domain = domain;
      this.ids = [];
      this.page = 0;
      this.headers = columns.map((column, index) => {
        const th = h("th", { scope: "col", class: column.num ? "num" : null });
        if (column.key) {
          const button = h("button", { type: "button", class: "sort", on: { click: () => this.sortBy(index) } },
            column.label, h("span", { class: "arrow", "aria-hidden": "true" }));
          th.append(button);
        } else th.append(column.label);
        return th;
      });
      this.body = h("tbody");
      this.table = h("table", null, h("caption", null, caption), h("thead", null, h("tr", null, this.headers)), this.body);
      this.status = h("span", { class: "count", role: "status", "aria-live": "polite" });
      const button = (text, title, go) => h("button", { type: "button", title, on: { click: () => this.go(go()) } }, text);
      this.first = button("« First", "first page", () => 0);
      this.prev = button("‹ Previous", "previous page", () => this.page - 1);
      this.next = button("Next ›", "next page", () => this.page + 1);
      this.last = button("Last »", "last page", () => this.pages() - 1);
      this.size = h("select", { "aria-label": `${label}: rows per page`, on: { change: () => { this.pageSize = Number(this.size.value); this.go(0); } } },
        [25, 100, 500].map((n) => h("option", { value: String(n), selected: n === pageSize }, `${n} per page`)));
      this.pager = h("nav", { class: "pager", "aria-label": `${label} pages` }, this.first, this.prev, this.status, this.next, this.last, this.size);
      this.element = h("div", { class: "grid" }, this.pager, this.table);
      this.showSortState();
    }

    pages() { return Math.max(1, Math.ceil(this.ids.length / this.pageSize)); }

    set(ids, keepPage) {
      this.ids = ids;
      this.order();
      if (!keepPage) this.page = 0;
      this.page = Math.min(this.page, this.pages() - 1);
      this.render();
    }

    sortBy(index) {
      const column = this.columns[index];
      this.descending = this.sortColumn === index ? !this.descending : Boolean(column.num);
      this.sortColumn = index;
      this.showSortState();
      this.set(this.ids);
      this.headers[index].querySelector("button").focus();
    }

    showSortState() {
      this.headers.forEach((th, index) => {
        const sorted = index === this.sortColumn;
        th.setAttribute("aria-sort", sorted ? (this.descending ? "descending" : "ascending") : "none");
        const arrow = th.querySelector(".arrow");
        if (arrow) arrow.textContent = sorted ? (this.descending ? "▼" : "▲") : "↕";
      });
    }

    order() {
      const key = this.columns[this.sortColumn].key;
      if (!key) return;
      const keys = new Map();
      for (const id of this.ids) keys.set(id, key(id));
      const sign = this.descending ? -1 : 1;
      this.ids.sort((a, b) => {
        const ka = keys.get(a);
        const kb = keys.get(b);
        const c = typeof ka === "number" && typeof kb === "number" ? ka - kb : collator.compare(String(ka), String(kb));
        return c * sign || a - b;
      });
    }

    go(page) {
      this.page = Math.max(0, Math.min(page, this.pages() - 1));
      this.render();
    }

    render() {
      const start = this.page * this.pageSize;
      const shown = this.ids.slice(start, start + this.pageSize);
      const fragment = document.createDocumentFragment();
      for (const id of shown) fragment.append(this.row(id));
      if (!shown.length) {
        fragment.append(h("tr", null, h("td", { colspan: String(this.columns.length), class: "muted" }, `No ${this.label.toLowerCase()} match.`)));
      }
      this.body.replaceChildren(fragment);
      const total = this.ids.length;
      const of = this.domain && total !== this.domain ? ` (filtered from ${fmt(this.domain)})` : "";
      this.status.textContent = total
        ? `${this.label} ${fmt(start + 1)}–${fmt(start + shown.length)} of ${fmt(total)}${of}, page ${fmt(this.page + 1)} of ${fmt(this.pages())}`
        : `No ${this.label.toLowerCase()}${of}`;
      this.first.disabled = this.prev.disabled = this.page === 0;
      this.next.disabled = this.last.disabled = this.page >= this.pages() - 1;
      const single = this.pages() === 1;
      for (const control of [this.first, this.prev, this.next, this.last]) control.hidden = single;
      this.size.hidden = total <= 25;
    }
  }

  // Page layout ----------------------------------------------------------------------------

  const day = DATA.meta.day;
  const owners = [...new Set(R.name.filter((n) => n.includes("/")).map((n) => n.split("/")[0]))];
  const heading = owners.length ? `repo-harden audit: ${owners.slice(0, 3).join(", ")}${owners.length > 3 ? ` and ${owners.length - 3} more` : ""}` : "repo-harden audit";
  const totals = [0, 0, 0];
  for (let i = 0; i < NF; i++) totals[F.sev[i]]++;

  const main = h("main", { id: "main", tabindex: "-1" });
  const overview = h("div", { id: "overview" });
  const repoView = h("section", { id: "repo-view", "aria-labelledby": "repo-title", hidden: true });
  main.append(overview, repoView);
  document.body.append(
    h("a", { class: "skip", href: "#main" }, "Skip to the dashboard"),
    h("header", { class: "top" },
      h("h1", null, heading),
      h("p", null, `Audited on ${day} with repo-harden ${DATA.meta.version}. `,
        `${plural(NREPO, "repository", "repositories")}: ${fmt(statusCount[0])} audited, ${fmt(statusCount[1])} skipped, ${fmt(statusCount[2])} failed. `,
        `${plural(NF, "finding")}: ${fmt(totals[0])} errors, ${fmt(totals[1])} warnings, ${fmt(totals[2])} notes.`)),
    h("nav", { class: "sections", "aria-label": "Sections" },
      [["posture", "Posture"], ["trend", "Trend"], ["repositories", "Repositories"], ["rules", "Rules"], ["exceptions", "Exceptions"]]
        .map(([id, text]) => h("a", { href: "#" + id }, text))),
    main,
  );

  function section(id, title, ...kids) {
    const element = h("section", { id, "aria-labelledby": id + "-title" }, h("h2", { id: id + "-title" }, title), kids);
    overview.append(element);
    return element;
  }

  // Posture ------------------------------------------------------------------------------

  function postureSection() {
    const audited = statusCount[0];
    const statusButton = (status, label) => statusCount[status]
      ? h("button", { type: "button", class: "linkish", on: { click: () => showRepositories({ status }) } }, label)
      : label;
    const tiles = h("div", { class: "tiles" },
      h("div", { class: "tile" }, h("b", null, fmt(audited)), "audited"),
      h("div", { class: "tile" + (statusCount[1] ? " warn" : "") }, h("b", null, fmt(statusCount[1])), statusButton(1, "skipped")),
      h("div", { class: "tile" + (statusCount[2] ? " bad" : "") }, h("b", null, fmt(statusCount[2])), statusButton(2, "failed")));
    const rows = DATA.posture.map(([label, codes, checked, met, failed, unknown], index) => {
      if (!checked) {
        return h("tr", null, h("th", { scope: "row" }, label), h("td", { colspan: "3", class: "muted" }, "not checked in this audit (its rules were not selected)"), h("td", null, codes.join(", ")));
      }
      const share = audited ? Math.round((met / audited) * 100) : 0;
      const bar = h("span", { class: "bar", "aria-hidden": "true" });
      const metPart = h("span");
      metPart.style.width = audited ? `${(met / audited) * 100}%` : "0";
      bar.append(metPart);
      if (unknown) {
        const unknownPart = h("span", { class: "unknown" });
        unknownPart.style.left = metPart.style.width;
        unknownPart.style.width = `${(unknown / audited) * 100}%`;
        bar.append(unknownPart);
      }
      const failing = failed
        ? h("button", { type: "button", class: "linkish", title: `show the ${failed} repositories that fail it`, on: { click: () => showRepositories({ control: index }) } }, fmt(failed))
        : count(0);
      return h("tr", null,
        h("th", { scope: "row" }, label),
        h("td", null, bar, " ", h("b", null, `${share}%`), ` (${fmt(met)} of ${fmt(audited)})`),
        h("td", { class: "num" }, failing),
        h("td", { class: "num" }, count(unknown)),
        h("td", null, codes.join(", ")));
    });
    section("posture", "Posture",
      h("p", { class: "lead" }, "The share of audited repositories that meet each control. Skipped and failed repositories are not in the shares; they are counted here."),
      tiles,
      h("table", { id: "posture-table" },
        h("caption", null, "Controls, over the audited repositories"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Control"), h("th", { scope: "col" }, "Repositories that meet it"),
          h("th", { scope: "col", class: "num" }, "Failing"), h("th", { scope: "col", class: "num" }, "Not judged"), h("th", { scope: "col" }, "Rules"))),
        h("tbody", null, rows)),
      h("p", { class: "muted" }, "Not judged: the branch protection could not be read (BP012), so the repository counts neither as meeting the control nor as failing it."));
  }

  // Trend --------------------------------------------------------------------------------

  function ruleTitle(code) {
    const rule = RULES.find((item) => item.code === code);
    return rule ? `${code} ${rule.name}` : code;
  }

  function trendSection() {
    const trend = DATA.trend;
    if (!trend) {
      section("trend", "Trend", h("p", { class: "lead" }, "No previous audit of the same targets in the cache, so there is nothing to compare with yet. The next audit of these targets (with the same --cache-dir) will show what changed."));
      return;
    }
    const families = [...new Set([...Object.keys(trend.new), ...Object.keys(trend.fixed)])].sort((a, b) => FAMILIES.indexOf(a) - FAMILIES.indexOf(b));
    const newTotal = Object.values(trend.new).reduce((a, b) => a + b, 0);
    const fixedTotal = Object.values(trend.fixed).reduce((a, b) => a + b, 0);
    const when = trend.previous.replace("T", " ").replace("+00:00", " UTC");
    const rows = families.map((fam) => {
      const added = trend.new[fam] || 0;
      const fixed = trend.fixed[fam] || 0;
      const net = added - fixed;
      return h("tr", null, h("th", { scope: "row" }, fam), h("td", { class: "num" }, count(added)), h("td", { class: "num" }, count(fixed)),
        h("td", { class: "num" }, net > 0 ? badge("worse", `▼ ${fmt(net)} more`) : net < 0 ? badge("better", `▲ ${fmt(-net)} fewer`) : "no change"));
    });
    const drift = trend.drift.map(([name, worse, better]) => {
      const r = nameIndex.get(name);
      return h("tr", null,
        h("th", { scope: "row" }, r === undefined ? name : repoLink(r)),
        h("td", null, worse.length ? worse.map((code) => [badge("worse", "▼ " + ruleTitle(code)), " "]) : h("span", { class: "muted" }, "none")),
        h("td", null, better.length ? better.map((code) => [badge("better", "▲ " + ruleTitle(code)), " "]) : h("span", { class: "muted" }, "none")));
    });
    section("trend", "Trend",
      h("p", { class: "lead" }, `Since the previous audit of the same targets, on ${when}: ${plural(trend.compared, "repository", "repositories")} audited both times are compared` +
        (trend.appeared || trend.disappeared ? ` (${fmt(trend.appeared)} audited only now, ${fmt(trend.disappeared)} only then).` : ".")),
      h("div", { class: "tiles" },
        h("div", { class: "tile" + (newTotal ? " bad" : "") }, h("b", null, fmt(newTotal)), newTotal
          ? h("button", { type: "button", class: "linkish", on: { click: () => showRepositories({ onlyNew: true }) } }, "new findings")
          : "new findings"),
        h("div", { class: "tile" }, h("b", null, fmt(fixedTotal)), "fixed"),
        h("div", { class: "tile" + (trend.drift.length ? " warn" : "") }, h("b", null, fmt(trend.drift.length)), "protection changes")),
      h("table", { id: "trend-table" }, h("caption", null, "New and fixed findings per rule family"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Family"), h("th", { scope: "col", class: "num" }, "New"), h("th", { scope: "col", class: "num" }, "Fixed"), h("th", { scope: "col", class: "num" }, "Net"))),
        h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colspan: "4", class: "muted" }, "No finding appeared or went away.")))),
      h("h3", null, "Branch protection drift"),
      drift.length
        ? h("table", { id: "drift-table" }, h("caption", null, "Repositories whose branch protection changed: the rules they newly fail and those they now pass"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Repository"), h("th", { scope: "col" }, "Got worse"), h("th", { scope: "col" }, "Got better"))),
          h("tbody", null, drift))
        : h("p", { class: "muted" }, "No repository's branch protection changed."));
  }

  // Repositories ---------------------------------------------------------------------------

  const state = { text: "", rule: -1, family: "", sev: -1, status: -1, control: -1, onlyNew: false };
  const current = { e: base.e, w: base.w, n: base.n, x: base.x, test: null };

  function findingTest() {
    const tests = [];
    if (state.rule >= 0) tests.push((i) => F.rule[i] === state.rule);
    if (state.family) tests.push((i) => RULE_FAMILY[F.rule[i]] === state.family);
    if (state.sev >= 0) tests.push((i) => F.sev[i] === state.sev);
    if (state.control >= 0) {
      const codes = new Set(DATA.posture[state.control][1]);
      const marked = RULES.map((rule) => codes.has(rule.code));
      tests.push((i) => marked[F.rule[i]]);
    }
    if (state.onlyNew) tests.push((i) => isNew[i] === 1);
    if (!tests.length) return null;
    return (i) => tests.every((test) => test(i));
  }

  function stringMatches(query) {
    if (!lowerStrings) lowerStrings = STR.map((text) => text.toLowerCase());
    const matched = new Uint8Array(STR.length);
    for (let j = 0; j < STR.length; j++) if (lowerStrings[j].includes(query)) matched[j] = 1;
    return matched;
  }

  function filteredRepositories() {
    const test = findingTest();
    const query = state.text.trim().toLowerCase();
    current.test = test;
    if (!test && !query) {
      Object.assign(current, { e: base.e, w: base.w, n: base.n, x: base.x });
      const ids = [];
      for (let r = 0; r < NREPO; r++) if (state.status < 0 || R.status[r] === state.status) ids.push(r);
      return ids;
    }
    if (query && !lowerNames) lowerNames = R.name.map((name) => name.toLowerCase());
    const strings = query ? stringMatches(query) : null;
    const e = new Int32Array(NREPO), w = new Int32Array(NREPO), n = new Int32Array(NREPO), x = new Int32Array(NREPO);
    const ids = [];
    for (let r = 0; r < NREPO; r++) {
      if (state.status >= 0 && R.status[r] !== state.status) continue;
      const named = query !== "" && (lowerNames[r].includes(query) || (R.reason[r] || "").toLowerCase().includes(query));
      let found = 0;
      for (let k = offsets[r]; k < offsets[r + 1]; k++) {
        const i = byRepo[k];
        if (test && !test(i)) continue;
        if (query && !named && !strings[F.path[i]] && !strings[F.msg[i]]) continue;
        found++;
        const sev = F.sev[i];
        (sev === 0 ? e : sev === 1 ? w : n)[r]++;
        if (isNew[i]) x[r]++;
      }
      if (found || (!test && named)) ids.push(r);
    }
    Object.assign(current, { e, w, n, x });
    current.textQuery = query;
    current.strings = strings;
    return ids;
  }

  function topRules(r) {
    const counts = new Map();
    const query = state.text.trim().toLowerCase();
    const named = query && (R.name[r].toLowerCase().includes(query) || (R.reason[r] || "").toLowerCase().includes(query));
    for (let k = offsets[r]; k < offsets[r + 1]; k++) {
      const i = byRepo[k];
      if (current.test && !current.test(i)) continue;
      if (query && !named && current.strings && !current.strings[F.path[i]] && !current.strings[F.msg[i]]) continue;
      counts.set(F.rule[i], (counts.get(F.rule[i]) || 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  }

  const trendColumns = DATA.trend ? [{ label: "New", num: true, key: (r) => current.x[r], cell: (r) => count(current.x[r]) }] : [];
  const repoColumns = [
    { label: "Repository", key: (r) => R.name[r] },
    { label: "Status", key: (r) => R.status[r] * 1e9 + (current.e[r] + current.w[r] + current.n[r]) },
    { label: "Errors", num: true, key: (r) => current.e[r] },
    { label: "Warnings", num: true, key: (r) => current.w[r] },
    { label: "Notes", num: true, key: (r) => current.n[r] },
    ...trendColumns,
    { label: "Rules", key: (r) => (R.status[r] === 0 ? topRules(r).length : -1) },
    { label: "Reason", key: (r) => R.reason[r] || "" },
  ];
  const repoGrid = new Grid({
    label: "Repositories",
    caption: "Repositories: select a name to see its findings. Counts follow the filters.",
    columns: repoColumns,
    sort: 2,
    descending: true,
    domain: NREPO,
    row: (r) => {
      const audited = R.status[r] === 0;
      const cell = (value) => h("td", { class: "num" }, audited ? count(value) : h("span", { class: "zero", title: "not audited" }, "–"));
      const rules = audited ? topRules(r) : [];
      const shown = rules.slice(0, 3).map(([rule, n]) => `${RULES[rule].code} ×${n}`).join(", ") + (rules.length > 3 ? ` +${rules.length - 3} more` : "");
      return h("tr", { class: "open", "data-repo": String(r) },
        h("th", { scope: "row" }, repoLink(r)),
        h("td", null, statusBadge(R.status[r])),
        cell(current.e[r]), cell(current.w[r]), cell(current.n[r]),
        DATA.trend ? cell(current.x[r]) : null,
        h("td", { class: "mono" }, shown),
        h("td", { class: "message" }, R.reason[r] || ""));
    },
  });
  repoGrid.body.addEventListener("click", (event) => {
    if (event.target.closest("a, button")) return;
    const row = event.target.closest("tr[data-repo]");
    if (row) location.hash = repoHash(Number(row.dataset.repo));
  });

  const controls = {};

  function repositoriesSection() {
    const option = (value, text) => h("option", { value: String(value) }, text);
    const rulesWithFindings = RULES.map((rule, index) => [rule, index]).filter(([, index]) => ruleFindings[index] > 0);
    controls.text = h("input", { type: "search", id: "filter-text", placeholder: "name, path or message  ( / )", autocomplete: "off" });
    controls.rule = h("select", { id: "filter-rule" }, option(-1, "All rules"), rulesWithFindings.map(([rule, index]) => option(index, `${rule.code} ${rule.name} (${fmt(ruleFindings[index])})`)));
    controls.family = h("select", { id: "filter-family" }, option("", "All families"), FAMILIES.filter((fam) => rulesWithFindings.some(([, index]) => RULE_FAMILY[index] === fam)).map((fam) => option(fam, fam)));
    controls.sev = h("select", { id: "filter-severity" }, option(-1, "All severities"), SEV.map((sev, index) => option(index, sev)));
    controls.status = h("select", { id: "filter-status" }, option(-1, "All statuses"), STATUS.map((status, index) => option(index, `${status} (${fmt(statusCount[index])})`)));
    controls.control = h("select", { id: "filter-control" }, option(-1, "Any control"), DATA.posture.map(([label], index) => option(index, `fails: ${label}`)));
    controls.onlyNew = h("input", { type: "checkbox", id: "filter-new" });
    let timer = 0;
    const changed = () => { readControls(); updateRepositories(); };
    controls.text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(changed, 120); });
    for (const key of ["rule", "family", "sev", "status", "control", "onlyNew"]) controls[key].addEventListener("change", changed);
    const clear = h("button", { type: "button", id: "filter-clear", on: { click: () => { showRepositories({}); controls.text.focus(); } } }, "Clear filters");
    const label = (text, control) => h("label", null, text, control);
    section("repositories", "Repositories",
      h("form", { class: "filters", role: "search", "aria-label": "Filter repositories", on: { submit: (event) => event.preventDefault() } },
        label("Search", controls.text), label("Rule", controls.rule), label("Family", controls.family),
        label("Severity", controls.sev), label("Status", controls.status), label("Control", controls.control),
        DATA.trend ? h("label", { class: "check" }, controls.onlyNew, "New since the previous audit") : null,
        clear),
      repoGrid.element);
  }

  function readControls() {
    state.text = controls.text.value;
    state.rule = Number(controls.rule.value);
    state.family = controls.family.value;
    state.sev = Number(controls.sev.value);
    state.status = Number(controls.status.value);
    state.control = Number(controls.control.value);
    state.onlyNew = controls.onlyNew.checked;
  }

  function writeControls() {
    controls.text.value = state.text;
    controls.rule.value = String(state.rule);
    controls.family.value = state.family;
    controls.sev.value = String(state.sev);
    controls.status.value = String(state.status);
    controls.control.value = String(state.control);
    controls.onlyNew.checked = state.onlyNew;
  }

  function updateRepositories() {
    repoGrid.set(filteredRepositories());
  }

  function showRepositories(filters) {
    Object.assign(state, { text: "", rule: -1, family: "", sev: -1, status: -1, control: -1, onlyNew: false }, filters);
    writeControls();
    updateRepositories();
    if (location.hash !== "#repositories") location.hash = "#repositories";
    else document.getElementById("repositories").scrollIntoView();
  }

  // Rules ----------------------------------------------------------------------------------

  function docBody(text) {
    const body = h("div", { class: "doc-body" });
    let fence = null;
    let paragraph = [];
    const flush = () => { if (paragraph.length) { body.append(h("p", null, inlineCode(paragraph.join(" ")))); paragraph = []; } };
    for (const line of text.split("\n")) {
      if (fence !== null) {
        if (line.startsWith("```")) { body.append(h("pre", null, h("code", null, fence.join("\n")))); fence = null; } else fence.push(line);
      } else if (line.startsWith("```")) { flush(); fence = []; }
      else if (line.startsWith("## ")) { flush(); body.append(h("h4", null, line.slice(3))); }
      else if (!line.trim()) flush();
      else paragraph.push(line.trim());
    }
    flush();
    if (fence) body.append(h("pre", null, fence.join("\n")));
    return body;
  }

  function inlineCode(text) {
    return text.split("`").map((part, index) => (index % 2 ? h("code", null, part) : part));
  }

  function rulesSection() {
    const ids = RULES.map((_, index) => index);
    const grid = new Grid({
      label: "Rules",
      caption: "Findings per rule; each rule's documentation is one click away.",
      pageSize: 500,
      sort: 3,
      descending: true,
      columns: [
        { label: "Rule", key: (i) => i },
        { label: "Name", key: (i) => RULES[i].name },
        { label: "Severity", key: (i) => SEV.indexOf(RULES[i].severity) },
        { label: "Findings", num: true, key: (i) => ruleFindings[i] },
        { label: "Repositories", num: true, key: (i) => ruleRepos[i] },
        ...(DATA.trend ? [{ label: "New", num: true, key: (i) => ruleNew[i] }] : []),
        { label: "Documentation" },
      ],
      row: (i) => {
        const rule = RULES[i];
        const asked = !SELECTED || SELECTED.has(rule.code);
        const findings = ruleFindings[i]
          ? h("button", { type: "button", class: "linkish", title: `show the repositories with ${rule.code} findings`, on: { click: () => showRepositories({ rule: i }) } }, fmt(ruleFindings[i]))
          : h("span", { class: "zero" }, asked ? "0" : "not checked");
        return h("tr", { id: "rule-" + rule.code },
          h("th", { scope: "row", class: "mono" }, rule.code),
          h("td", null, rule.name, h("div", { class: "muted" }, rule.summary)),
          h("td", null, h("span", { class: `sev sev-${rule.severity}` }, rule.severity)),
          h("td", { class: "num" }, findings),
          h("td", { class: "num" }, count(ruleRepos[i])),
          DATA.trend ? h("td", { class: "num" }, count(ruleNew[i])) : null,
          h("td", null, h("details", { class: "doc" }, h("summary", null, `Docs for ${rule.code}`), docBody(rule.doc),
            h("p", null, h("a", { href: rule.url }, "Read it online")))));
      },
    });
    section("rules", "Rules", grid.element);
    grid.set(ids);
  }

  // Exceptions --------------------------------------------------------------------------------

  const EX = DATA.exceptions || [];
  const URGENCY = { expired: 0, invalid: 1, expiring: 2, inline: 3, active: 4 };

  function exceptionState(x) {
    const [, kind, , , , , , expires, days, , problems] = x;
    if (problems.length) return "invalid";
    if (kind === "inline" || expires === null) return "inline";
    if (days < 0) return "expired";
    return days <= 30 ? "expiring" : "active";
  }

  function exceptionBadge(x) {
    const stateName = exceptionState(x);
    const days = x[8];
    if (stateName === "expired") return badge("expired", `⚠ Expired ${plural(-days, "day")} ago`);
    if (stateName === "expiring") return badge("expiring", days === 0 ? "⏳ Expires today" : `⏳ Expires in ${plural(days, "day")}`);
    if (stateName === "invalid") return badge("invalid", "✖ Invalid: " + x[10].join("; "));
    if (stateName === "inline") return badge("inline", "No expiry (inline)");
    return badge("active", "✓ Active");
  }

  const exceptionColumns = (withRepository) => [
    { label: "Status", key: (i) => URGENCY[exceptionState(EX[i])] * 1e6 + (EX[i][8] ?? 99999) },
    ...(withRepository ? [{ label: "Repository", key: (i) => (EX[i][0] >= 0 ? R.name[EX[i][0]] : "") }] : []),
    { label: "Kind", key: (i) => EX[i][1] },
    { label: "Rules", key: (i) => EX[i][2].join(",") },
    { label: "Where", key: (i) => EX[i][3] },
    { label: "Owner", key: (i) => EX[i][5] },
    { label: "Reason", key: (i) => EX[i][6] },
    { label: "Expires", key: (i) => EX[i][7] || "9999" },
  ];

  function exceptionRow(withRepository) {
    return (i) => {
      const [r, kind, rules, path, line, owner, reason, expires, , config] = EX[i];
      const stateName = exceptionState(EX[i]);
      const where = kind === "waiver"
        ? [h("span", { class: "path mono" }, path || "?"), h("div", { class: "muted" }, `declared in ${config || "the --config file"}${line ? ":" + line : ""}`)]
        : (() => {
          const url = r >= 0 ? findingUrl(r, path, line, "") : null;
          const text = `${path}${line ? ":" + line : ""}`;
          return url ? h("a", { href: url, class: "path mono" }, text) : h("span", { class: "path mono" }, text);
        })();
      return h("tr", { class: stateName === "expired" || stateName === "expiring" ? stateName : null },
        h("td", null, exceptionBadge(EX[i])),
        withRepository ? h("th", { scope: "row" }, r >= 0 ? repoLink(r) : "") : null,
        h("td", null, kind),
        h("td", { class: "mono" }, rules.join(", ") || "?"),
        h("td", null, where),
        h("td", null, owner || h("span", { class: "muted" }, kind === "inline" ? "(the file's owners)" : "none")),
        h("td", { class: "message" }, reason || h("span", { class: "muted" }, "none")),
        h("td", { class: "mono" }, expires || "–"));
    };
  }

  function exceptionsSection() {
    if (!DATA.exceptions) {
      section("exceptions", "Exceptions", h("p", { class: "lead" }, "This report does not list exceptions (it was written by an older repo-harden)."));
      return;
    }
    const tally = { expired: 0, expiring: 0, invalid: 0, inline: 0, active: 0 };
    for (const x of EX) tally[exceptionState(x)]++;
    const waivers = EX.filter((x) => x[1] === "waiver").length;
    const grid = new Grid({ label: "Exceptions", caption: "Waivers and inline ignores, the most urgent first", columns: exceptionColumns(true), row: exceptionRow(true), domain: EX.length });
    const text = h("input", { type: "search", id: "exception-text", placeholder: "repository, owner, reason, path", autocomplete: "off" });
    const which = h("select", { id: "exception-state" }, h("option", { value: "" }, "All"),
      Object.keys(URGENCY).map((key) => h("option", { value: key }, `${key} (${fmt(tally[key])})`)));
    const apply = () => {
      const query = text.value.trim().toLowerCase();
      const wanted = which.value;
      const ids = [];
      EX.forEach((x, i) => {
        if (wanted && exceptionState(x) !== wanted) return;
        if (query && ![x[0] >= 0 ? R.name[x[0]] : "", x[2].join(","), x[3], x[5], x[6]].some((part) => part.toLowerCase().includes(query))) return;
        ids.push(i);
      });
      grid.set(ids);
    };
    text.addEventListener("input", apply);
    which.addEventListener("change", apply);
    section("exceptions", "Exceptions",
      h("p", { class: "lead" }, `${plural(waivers, "waiver")} and ${plural(EX.length - waivers, "inline ignore")}, counted on ${day}. Expired waivers no longer hide their findings; those expiring within 30 days need a decision now.`),
      h("div", { class: "tiles" },
        h("div", { class: "tile" + (tally.expired ? " bad" : "") }, h("b", null, fmt(tally.expired)), "expired"),
        h("div", { class: "tile" + (tally.expiring ? " warn" : "") }, h("b", null, fmt(tally.expiring)), "expire within 30 days"),
        h("div", { class: "tile" + (tally.invalid ? " bad" : "") }, h("b", null, fmt(tally.invalid)), "invalid (exempt nothing)"),
        h("div", { class: "tile" }, h("b", null, fmt(tally.inline)), "inline, no expiry")),
      h("form", { class: "filters", role: "search", "aria-label": "Filter exceptions", on: { submit: (event) => event.preventDefault() } },
        h("label", null, "Search", text), h("label", null, "Status", which)),
      grid.element);
    apply();
  }

  // One repository -----------------------------------------------------------------------------

  const findingColumns = [
    { label: "Severity", key: (i) => F.sev[i] * 1e7 + F.rule[i] },
    { label: "Rule", key: (i) => RULES[F.rule[i]].code },
    { label: "Location", key: (i) => `${STR[F.path[i]]}\u0000${String(F.line[i]).padStart(8, "0")}` },
    { label: "Message", key: (i) => STR[F.msg[i]] },
    ...(DATA.trend ? [{ label: "New", key: (i) => 1 - isNew[i] }] : []),
  ];
  const findingGrid = new Grid({
    label: "Findings",
    caption: "Findings: each location opens the file at the audited commit on GitHub",
    columns: findingColumns,
    row: (i) => {
      const r = F.repo[i];
      const path = STR[F.path[i]];
      const rule = RULES[F.rule[i]];
      const where = path ? `${path}${F.line[i] ? ":" + F.line[i] : ""}${F.col[i] ? ":" + F.col[i] : ""}` : "(repository settings)";
      const url = findingUrl(r, path, F.line[i], rule.code);
      return h("tr", null,
        h("td", null, sevBadge(F.sev[i])),
        h("td", { class: "mono" }, h("a", { href: "#rule-" + rule.code, title: rule.name, class: "rule-link" }, rule.code)),
        h("td", { class: "path mono" }, url ? h("a", { href: url, class: "finding-link" }, where) : where),
        h("td", { class: "message" }, inlineCode(STR[F.msg[i]])),
        DATA.trend ? h("td", null, isNew[i] ? badge("new", "new") : "") : null);
    },
  });

  let openedFrom = null;

  function showRepository(r) {
    const ids = [];
    for (let k = offsets[r]; k < offsets[r + 1]; k++) ids.push(byRepo[k]);
    const url = repoUrl(r);
    const head = R.head[r];
    const own = EX.map((x, i) => (x[0] === r ? i : -1)).filter((i) => i >= 0);
    const ownGrid = new Grid({ label: "Exceptions", caption: "Its waivers and inline ignores", columns: exceptionColumns(false), row: exceptionRow(false) });
    const back = h("a", { href: "#repositories", class: "no-print" }, "← All repositories");
    repoView.replaceChildren();
    append(repoView, [
      h("p", null, back),
      h("div", { class: "repo-view-head" },
        h("h2", { id: "repo-title", tabindex: "-1" }, R.name[r]),
        statusBadge(R.status[r]),
        url ? h("a", { href: head ? `${url}/tree/${head}` : url, id: "repo-github" }, head ? `Open on GitHub at ${head.slice(0, 12)}` : "Open on GitHub") : null),
      R.reason[r] ? h("p", null, "Reason: ", R.reason[r]) : null,
      h("p", { class: "lead" }, `${plural(ids.length, "finding")}: ${fmt(base.e[r])} errors, ${fmt(base.w[r])} warnings, ${fmt(base.n[r])} notes` + (DATA.trend ? `; ${fmt(base.x[r])} new since the previous audit.` : ".")),
      ids.length ? findingGrid.element : h("p", null, R.status[r] === 0 ? "No findings: this repository meets every control checked." : "Not audited, so no findings."),
      own.length ? [h("h3", null, "Exceptions"), ownGrid.element] : null]);
    findingGrid.sortColumn = 0;
    findingGrid.descending = false;
    findingGrid.showSortState();
    findingGrid.set(ids);
    ownGrid.set(own);
    overview.hidden = true;
    repoView.hidden = false;
    document.title = `${R.name[r]} · ${heading}`;
    window.scrollTo(0, 0);
    document.getElementById("repo-title").focus();
  }

  function route() {
    const match = /^#repo\/(.+)$/.exec(location.hash);
    if (match) {
      let name = null;
      try { name = decodeURIComponent(match[1]); } catch (error) { name = null; }
      const r = name === null ? undefined : nameIndex.get(name);
      if (r !== undefined) {
        openedFrom = r;
        showRepository(r);
        return;
      }
    }
    const wasHidden = overview.hidden;
    overview.hidden = false;
    repoView.hidden = true;
    document.title = heading;
    if (wasHidden) {
      const target = location.hash && document.getElementById(location.hash.slice(1));
      if (openedFrom !== null && location.hash === "#repositories") {
        const link = repoGrid.body.querySelector(`tr[data-repo="${openedFrom}"] a`);
        if (link) { link.focus(); link.scrollIntoView({ block: "center" }); return; }
      }
      if (target) target.scrollIntoView();
    }
  }

  // Start ----------------------------------------------------------------------------------

  postureSection();
  trendSection();
  repositoriesSection();
  rulesSection();
  exceptionsSection();
  document.title = heading;
  updateRepositories();
  window.addEventListener("hashchange", route);
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input, select, textarea");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      if (!overview.hidden) controls.text.focus();
      else location.hash = "#repositories";
    } else if (event.key === "Escape" && !repoView.hidden) {
      location.hash = "#repositories";
    }
  });
  route();
  document.documentElement.dataset.ready = "true";
  performance.mark("dashboard-ready");
})();
