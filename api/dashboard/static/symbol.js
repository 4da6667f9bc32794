/* gex-engine dashboard: the symbol page (/dashboard/symbol/SPX, /dashboard?symbol=SPX).
 *
 * Every number comes from the JSON API of this server (docs/dashboard.md lists which
 * endpoint feeds which panel). The expiration filter and the dealer model travel as
 * ?expiration= (?expiry= on /v1/flow/*) and ?dealer_model= on every request that takes them;
 * the page keeps them (and the metric tab) in its own URL.
 */
(function () {
  "use strict";
  const G = window.GexDash;
  const { el, $ } = G;

  const METRICS = {
    gex: ["GEX", "gamma exposure, USD per 1 % move"],
    dex: ["DEX", "delta exposure, USD"],
    vex: ["VEX", "vanna exposure, USD per vol point"],
    chex: ["CHEX", "charm exposure, USD per day"],
    speed: ["Speed", "speed exposure, USD of GEX per 1 % move"],
    vomma: ["Vomma", "vomma exposure, USD of vega per vol point"],
  };
  const NARRATIVE = [
    ["regime", "Regime"],
    ["gex_change", "Change"],
    ["key_levels", "Key levels"],
    ["flow", "Flow"],
    ["vanna", "Vanna"],
    ["charm", "Charm"],
    ["zero_dte", "0DTE"],
    ["outlook", "Outlook"],
  ];
  const STRIKE_WINDOW = 0.1; // the strike chart opens on spot ± 10 %
  const NARROW_PX = 560; // charts narrower than this show no legend (the key is in the page)

  const query = new URLSearchParams(window.location.search);
  const state = {
    symbol: symbolFromLocation(),
    expiration: query.get("expiration") || "",
    model: query.get("dealer_model") === "short_all" ? "short_all" : "street",
    metric: /^[a-z_]{1,16}$/.test(query.get("metric") || "") ? query.get("metric") : "gex",
    metrics: ["gex", "dex", "vex", "chex"],
    expirations: null,
    levels: null,
    spot: null,
  };

  function symbolFromLocation() {
    const match = window.location.pathname.match(/^\/dashboard\/symbol\/([^/]+)$/);
    let raw = match ? match[1] : query.get("symbol") || "SPX";
    try {
      raw = match ? decodeURIComponent(raw) : raw;
    } catch (e) {
      /* keep it raw: the API answers invalid_symbol */
    }
    return raw.trim().toUpperCase();
  }

  function syncUrl() {
    const params = {};
    if (!window.location.pathname.startsWith("/dashboard/symbol/")) params.symbol = state.symbol;
    params.expiration = state.expiration || null;
    params.dealer_model = state.model === "street" ? null : state.model;
    params.metric = state.metric === "gex" ? null : state.metric;
    window.history.replaceState(null, "", G.url(window.location.pathname, params));
  }

  const settledOf = (result) => (result && result.status === "fulfilled" ? result.value : null);
  const errorOf = (result) => (result && result.status === "rejected" ? result.reason : null);

  // -- requests ---------------------------------------------------------------------------
  function seg() {
    return G.seg(state.symbol);
  }
  const whole = () => ({ dealer_model: state.model });
  const filtered = () => ({ expiration: state.expiration || null, dealer_model: state.model });
  const flowParams = () => ({ expiry: state.expiration || null, dealer_model: state.model });

  function metricPath(metric) {
    return `/v1/exposure/${encodeURIComponent(metric)}/${seg()}`;
  }

  async function load() {
    const s = seg();
    const jobs = {
      summary: G.api(`/v1/exposure/summary/${s}`, whole()),
      levels: G.api(`/v1/exposure/levels/${s}`, filtered()),
      profile: G.api(`/v1/exposure/profile/${s}`, filtered()),
      strikes: G.api(metricPath(state.metric), filtered()),
      maxpain: G.api(`/v1/maxpain/${s}`, filtered()),
      zeroDte: G.api(`/v1/exposure/zero-dte/${s}`, whole()),
      flowRisk: G.api(`/v1/flow/dealer-risk/${s}`, flowParams()),
      flowSummary: G.api(`/v1/flow/summary/${s}`, flowParams()),
      narrative: G.api(`/v1/exposure/narrative/${s}`, whole()),
      oiDiff: G.api(`/v1/exposure/oi-diff/${s}`, { topN: 15 }),
    };
    if (state.expirations === null) jobs.options = G.api(`/v1/options/${s}`);
    const names = Object.keys(jobs);
    const results = await Promise.allSettled(names.map((n) => jobs[n]));
    const r = {};
    names.forEach((name, i) => (r[name] = results[i]));

    const summary = settledOf(r.summary);
    const levels = settledOf(r.levels);
    if (r.options) renderExpirations(r.options);
    G.showError(summary ? "" : `${state.symbol}: ${G.describe(errorOf(r.summary))}`);
    state.levels = levels;
    state.spot = levels ? levels.underlying_price : summary ? summary.underlying_price : null;
    G.setAsOf(summary ? summary.as_of : levels ? levels.as_of : null);
    renderHeadline(summary);
    renderExposures(summary);
    renderHedging(summary);
    renderTabs(summary);
    renderLevels(r.levels, r.maxpain);
    renderZeroDte(r.zeroDte);
    renderFlow(r.flowRisk, r.flowSummary);
    renderOi(r.oiDiff);
    renderNarrative(r.narrative);
    renderQuality(summary);
    await Promise.all([renderProfile(r.profile, r.maxpain), renderStrikes(r.strikes)]);
  }

  async function loadStrikes() {
    let result;
    try {
      result = { status: "fulfilled", value: await G.api(metricPath(state.metric), filtered()) };
    } catch (e) {
      result = { status: "rejected", reason: e };
    }
    await renderStrikes(result);
    document.body.dataset.strikesMetric = state.metric;
  }

  // -- headline, selectors ---------------------------------------------------------------
  function renderHeadline(summary) {
    $("#symbol-title").textContent = state.symbol;
    document.title = `gex-engine · ${state.symbol}`;
    const badge = $("#regime-badge");
    const regime = summary ? summary.regime : "unknown";
    badge.dataset.regime = regime;
    badge.textContent =
      regime === "positive_gamma" ? "positive gamma" : regime === "negative_gamma" ? "negative gamma" : "regime unknown";
    const spot = $("#spot");
    spot.textContent = G.price(state.spot);
    spot.dataset.value = G.isNum(state.spot) ? String(state.spot) : "";
  }

  function renderExpirations(result) {
    const select = $("#expiry-select");
    const options = settledOf(result);
    if (!options) return; // retried on the next refresh
    state.expirations = options.expirations.map((e) => e.expiration);
    const keep = state.expiration;
    const items = [el("option", { value: "" }, "All expirations")];
    for (const day of state.expirations) items.push(el("option", { value: day }, day));
    if (keep && !state.expirations.includes(keep)) items.push(el("option", { value: keep }, `${keep} (not listed)`));
    G.replace(select, items);
    select.value = keep;
  }

  function renderTabs(summary) {
    if (summary && summary.exposures) {
      const names = Object.keys(summary.exposures)
        .filter((k) => k.startsWith("net_"))
        .map((k) => k.slice(4));
      if (names.length) state.metrics = names;
    }
    const tabs = $("#metric-tabs");
    G.replace(
      tabs,
      state.metrics.map((m) =>
        el(
          "button",
          {
            type: "button",
            role: "tab",
            class: m === state.metric ? "tab active" : "tab",
            "aria-selected": m === state.metric ? "true" : "false",
            dataset: { metric: m },
            onclick: () => selectMetric(m),
          },
          (METRICS[m] || [m.toUpperCase()])[0]
        )
      )
    );
  }

  async function selectMetric(metric) {
    if (metric === state.metric) return;
    state.metric = metric;
    syncUrl();
    for (const b of document.querySelectorAll("#metric-tabs .tab")) {
      const on = b.dataset.metric === metric;
      b.classList.toggle("active", on);
      b.setAttribute("aria-selected", on ? "true" : "false");
    }
    await loadStrikes();
  }

  // -- charts ------------------------------------------------------------------------------
  /** a vertical line at x, in the legend as "<what> <x>" (the tests read the name's start) */
  function vline(what, x, color, dash) {
    return {
      type: "line",
      name: `${what} ${G.price(x)}`,
      xref: "x",
      yref: "paper",
      x0: x,
      x1: x,
      y0: 0,
      y1: 1,
      line: { color: color, width: what === "spot" ? 2 : 1.5, dash: dash },
      showlegend: true,
    };
  }

  function maxPainOf(maxpain) {
    const mp = settledOf(maxpain);
    return mp && G.isNum(mp.max_pain_strike) ? mp.max_pain_strike : null;
  }

  /** the vertical lines: spot, gamma flip (and other sign changes), walls, max pain */
  function levelLines(crossings, maxpain) {
    const t = G.plotTheme();
    const L = state.levels ? state.levels.levels : {};
    const lines = [];
    if (G.isNum(state.spot)) lines.push(vline("spot", state.spot, t.fg, "solid"));
    if (G.isNum(L.gamma_flip)) lines.push(vline("gamma flip", L.gamma_flip, t.yellow, "dash"));
    for (const c of crossings || []) {
      if (!G.isNum(c) || (G.isNum(L.gamma_flip) && Math.abs(c - L.gamma_flip) < 1e-9 * Math.abs(c))) continue;
      lines.push(vline("other flip", c, t.yellow, "dot"));
    }
    if (G.isNum(L.call_wall)) lines.push(vline("call wall", L.call_wall, t.green, "dashdot"));
    if (G.isNum(L.put_wall)) lines.push(vline("put wall", L.put_wall, t.red, "dashdot"));
    const pain = maxPainOf(maxpain);
    if (pain !== null) lines.push(vline("max pain", pain, t.purple, "longdash"));
    return lines;
  }

  function baseLayout(div, yTitle) {
    const t = G.plotTheme();
    const narrow = div.clientWidth > 0 && div.clientWidth < NARROW_PX;
    return {
      showlegend: !narrow, // a phone keeps the height for the curve; the key is under the chart
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: t.fg, size: 12 },
      margin: { l: 64, r: 16, t: 8, b: 44 },
      xaxis: { gridcolor: t.grid, zerolinecolor: t.grid, tickformat: ",.0f", automargin: true },
      yaxis: {
        gridcolor: t.grid,
        zerolinecolor: t.muted,
        title: { text: yTitle },
        tickprefix: "$",
        exponentformat: "B",
        automargin: true,
      },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom", font: { size: 11 } },
      hovermode: "x unified",
      uirevision: `${state.symbol}|${state.expiration}|${state.model}`,
    };
  }

  async function renderProfile(result, maxpain) {
    const div = $("#profile-chart");
    const note = $("#profile-note");
    $("#profile-scope").textContent = state.expiration ? `expiration ${state.expiration}` : "all expirations";
    const profile = settledOf(result);
    if (!profile) {
      note.textContent = `No gamma profile: ${G.describe(errorOf(result))}`;
      window.Plotly.purge(div);
      return;
    }
    const t = G.plotTheme();
    const x = profile.levels;
    const y = profile.net_gex;
    const data = [
      {
        type: "scatter",
        mode: "lines",
        name: "net GEX ≥ 0",
        meta: "profile-positive",
        x: x,
        y: y.map((v) => (G.isNum(v) ? Math.max(v, 0) : null)),
        fill: "tozeroy",
        fillcolor: "rgba(46, 204, 113, 0.28)",
        showlegend: false,
        line: { color: t.green, width: 0.5 },
        hoverinfo: "skip",
      },
      {
        type: "scatter",
        mode: "lines",
        name: "net GEX < 0",
        meta: "profile-negative",
        x: x,
        y: y.map((v) => (G.isNum(v) ? Math.min(v, 0) : null)),
        fill: "tozeroy",
        fillcolor: "rgba(255, 92, 92, 0.28)",
        showlegend: false,
        line: { color: t.red, width: 0.5 },
        hoverinfo: "skip",
      },
      {
        type: "scatter",
        mode: "lines",
        name: "net GEX",
        meta: "profile",
        x: x,
        y: y,
        customdata: y.map((v) => G.usd(v)),
        line: { color: t.fg, width: 2 },
        hovertemplate: "net GEX %{customdata}<extra></extra>",
      },
    ];
    const layout = baseLayout(div, "net GEX (USD per 1 %)");
    layout.xaxis.title = { text: "hypothetical spot" };
    layout.shapes = levelLines(profile.crossings, maxpain);
    const flip = profile.gamma_flip;
    note.textContent =
      profile.gamma_flip_status === "available" && G.isNum(flip)
        ? `Dealers are long gamma where the curve is green (above the flip at ${G.price(flip)}) and short gamma where it is red.`
        : `No gamma flip in range (${G.words(profile.gamma_flip_status)}).`;
    await window.Plotly.react(div, data, layout, G.plotConfig);
  }

  /** y range of the rows within the x window (the far strikes would flatten the rest) */
  function visibleRange(rows, columns, lo, hi) {
    let min = 0;
    let max = 0;
    for (const row of rows) {
      if (row.strike < lo || row.strike > hi) continue;
      let stacked = 0;
      let stackedNeg = 0;
      for (const c of columns) {
        const v = row[c];
        if (!G.isNum(v)) continue;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      for (const c of columns.slice(0, 2)) {
        const v = row[c];
        if (G.isNum(v) && v > 0) stacked += v;
        if (G.isNum(v) && v < 0) stackedNeg += v;
      }
      max = Math.max(max, stacked);
      min = Math.min(min, stackedNeg);
    }
    if (min === max) return null;
    const pad = (max - min) * 0.08;
    return [min - pad, max + pad];
  }

  async function renderStrikes(result) {
    const div = $("#strikes-chart");
    const note = $("#strikes-note");
    const m = state.metric;
    const info = METRICS[m] || [m.toUpperCase(), ""];
    $("#strikes-unit").textContent = `${info[1]} · ${state.expiration ? `expiration ${state.expiration}` : "all expirations"}`;
    const body = settledOf(result);
    if (!body) {
      note.textContent = `No ${info[0]} by strike: ${G.describe(errorOf(result))}`;
      window.Plotly.purge(div);
      return;
    }
    const t = G.plotTheme();
    const rows = body.strikes || [];
    const columns = [`call_${m}`, `put_${m}`, `net_${m}`];
    const x = rows.map((row) => row.strike);
    const data = [
      { type: "bar", name: "calls", meta: "calls", x: x, y: rows.map((row) => row[columns[0]]), marker: { color: t.green }, opacity: 0.85 },
      { type: "bar", name: "puts", meta: "puts", x: x, y: rows.map((row) => row[columns[1]]), marker: { color: t.red }, opacity: 0.85 },
      {
        type: "scatter",
        mode: "lines+markers",
        name: "net",
        meta: "net",
        x: x,
        y: rows.map((row) => row[columns[2]]),
        line: { color: t.yellow, width: 1.5 },
        marker: { size: 4 },
      },
    ];
    const layout = baseLayout(div, `${info[0]} (USD)`);
    layout.barmode = "relative";
    layout.bargap = 0.15;
    layout.xaxis.title = { text: "strike" };
    layout.meta = { metric: m };
    const spot = G.isNum(body.underlying_price) ? body.underlying_price : state.spot;
    if (G.isNum(spot)) {
      const lo = spot * (1 - STRIKE_WINDOW);
      const hi = spot * (1 + STRIKE_WINDOW);
      layout.xaxis.range = [lo, hi];
      const yr = visibleRange(rows, columns, lo, hi);
      if (yr) layout.yaxis.range = yr;
    }
    layout.uirevision = `${layout.uirevision}|${m}`;
    layout.shapes = levelLines([], null).filter((s) => !s.name.startsWith("other flip"));
    const total = body[`net_${m}`];
    const sentence = body[`${m}_interpretation`];
    note.textContent = `Net ${info[0]} ${G.usd(total)}${sentence ? ` — ${sentence}` : ""}`;
    await window.Plotly.react(div, data, layout, G.plotConfig);
  }

  // -- panels ------------------------------------------------------------------------------
  function kvRow(field, label, valueText, value, extra) {
    return el(
      "tr",
      { dataset: { field: field } },
      el("th", { scope: "row" }, label),
      el("td", { class: "num value", dataset: { value: G.isNum(value) ? value : null } }, valueText),
      el("td", { class: "num muted" }, extra || "")
    );
  }

  function distance(level) {
    if (!G.isNum(level) || !G.isNum(state.spot) || state.spot === 0) return "";
    return G.pct((level / state.spot - 1) * 100);
  }

  function renderLevels(levelsResult, maxpain) {
    const tbody = $("#levels-table tbody");
    $("#levels-scope").textContent = state.expiration ? `expiration ${state.expiration}` : "all expirations";
    const body = settledOf(levelsResult);
    if (!body) {
      G.replace(tbody, el("tr", {}, el("td", { colspan: 3 }, G.describe(errorOf(levelsResult)))));
      return;
    }
    const L = body.levels;
    const pain = maxPainOf(maxpain);
    const row = (field, label, v, extra) => kvRow(field, label, G.price(v), v, extra === undefined ? distance(v) : extra);
    const flipExtra = L.gamma_flip_status === "available" ? distance(L.gamma_flip) : G.words(L.gamma_flip_status);
    G.replace(tbody, [
      row("spot", "Spot", body.underlying_price, ""),
      row("gamma_flip", "Gamma flip", L.gamma_flip, flipExtra),
      row("call_wall", "Call wall", L.call_wall),
      row("put_wall", "Put wall", L.put_wall),
      row("max_positive_gamma", "Max positive gamma", L.max_positive_gamma),
      row("max_negative_gamma", "Max negative gamma", L.max_negative_gamma),
      row("highest_oi_strike", "Highest OI strike", L.highest_oi_strike),
      row("zero_dte_magnet", "0DTE magnet", L.zero_dte_magnet),
      pain === null
        ? kvRow("max_pain", "Max pain", "—", null, errorOf(maxpain) ? "not available" : "")
        : row("max_pain", "Max pain", pain),
    ]);
  }

  function renderExposures(summary) {
    const tbody = $("#exposures-table tbody");
    if (!summary) {
      G.replace(tbody);
      return;
    }
    const rows = Object.entries(summary.exposures).map(([key, value]) => {
      const m = key.replace(/^net_/, "");
      const info = METRICS[m] || [m.toUpperCase(), ""];
      return kvRow(key, `Net ${info[0]}`, G.usd(value), value, info[1].split(", ")[1] || "");
    });
    const zd = summary.zero_dte || {};
    rows.push(kvRow("zero_dte_pct", "0DTE share of GEX", G.pct(zd.pct_of_total_gex, 1), zd.pct_of_total_gex, zd.expiration || "nothing expires today"));
    G.replace(tbody, rows);
  }

  function hedgeRow(field, label, move, unit) {
    const direction = move ? move.direction : null;
    return el(
      "tr",
      { dataset: { field: field } },
      el("th", { scope: "row" }, label),
      el("td", { class: direction === "buy" ? "buy" : direction === "sell" ? "sell" : "muted" }, direction || "—"),
      el(
        "td",
        { class: "num", dataset: { value: move && G.isNum(move.dealer_shares_to_trade) ? move.dealer_shares_to_trade : null } },
        move && "dealer_shares_to_trade" in move ? `${G.signedCount(move.dealer_shares_to_trade)} ${unit}` : ""
      ),
      el("td", { class: "num", dataset: { value: move && G.isNum(move.notional_usd) ? move.notional_usd : null } }, move ? G.usd(move.notional_usd) : "—")
    );
  }

  function renderHedging(summary) {
    const tbody = $("#hedging-table tbody");
    if (!summary) {
      G.replace(tbody);
      $("#hedging-note").textContent = "";
      return;
    }
    const unit = G.words(summary.hedge_unit || "shares");
    const h = summary.hedging_estimate || {};
    const f = summary.hedge_flows || {};
    G.replace(tbody, [
      el("tr", {}, el("th", {}, "if"), el("th", {}, "dealers"), el("th", { class: "num" }, "size"), el("th", { class: "num" }, "notional")),
      hedgeRow("spot_down_1pct", "spot −1 %", h.spot_down_1pct, unit),
      hedgeRow("spot_up_1pct", "spot +1 %", h.spot_up_1pct, unit),
      hedgeRow("vol_up_1pt", "IV +1 vol pt", f.vol_up_1pt, unit),
      hedgeRow("one_day", "one day passes", f.one_day, unit),
    ]);
    $("#hedging-note").textContent = "What dealers trade to stay delta-flat (+ = buy).";
  }

  function renderZeroDte(result) {
    const box = $("#zero-dte-body");
    const label = $("#zero-dte-expiry");
    const z = settledOf(result);
    if (!z) {
      label.textContent = "";
      G.replace(box, el("p", { class: "note" }, G.describe(errorOf(result))));
      return;
    }
    if (z.no_zero_dte) {
      label.textContent = "nothing expires today";
      box.dataset.state = "none";
      G.replace(
        box,
        el("p", { class: "note" }, z.message || "No same-day expiry."),
        z.next_zero_dte_expiry ? el("p", { class: "note" }, `Next: ${z.next_zero_dte_expiry}`) : null
      );
      return;
    }
    box.dataset.state = "available";
    label.textContent = `expiration ${z.expiration}`;
    const ex = z.exposures || {};
    const reg = z.regime || {};
    const pin = z.pin_risk || {};
    const h = z.hedging || {};
    const move = (down, up) => {
      const a = h[down];
      const b = h[up];
      return `${a ? `${a.direction} ${G.usd(a.notional_usd)}` : "—"} / ${b ? `${b.direction} ${G.usd(b.notional_usd)}` : "—"}`;
    };
    G.replace(
      box,
      el(
        "table",
        { class: "kv" },
        el(
          "tbody",
          {},
          kvRow("net_gex", "Net GEX", G.usd(ex.net_gex), ex.net_gex, `${G.pct(ex.pct_of_total_gex, 1)} of chain`),
          kvRow("regime", "Regime", G.words(reg.label), null, reg.spot_vs_flip ? `spot ${reg.spot_vs_flip} flip` : ""),
          kvRow("gamma_flip", "Gamma flip", G.price(reg.gamma_flip), reg.gamma_flip, G.pct(reg.spot_to_flip_pct)),
          kvRow("magnet_strike", "Magnet", G.price(pin.magnet_strike), pin.magnet_strike, G.pct(pin.distance_to_magnet_pct)),
          kvRow("max_pain", "Max pain", G.price(pin.max_pain), pin.max_pain, ""),
          kvRow("hedge_25bp", "±0.25 %", move("spot_down_25bp", "spot_up_25bp"), null, "down / up"),
          kvRow("hedge_1pct", "±1 %", move("spot_down_1pct", "spot_up_1pct"), null, "down / up")
        )
      ),
      pin.description ? el("p", { class: "note" }, pin.description) : null
    );
  }

  function flowRow(field, label, settled, live, adjustment, shift) {
    return el(
      "tr",
      { dataset: { field: field } },
      el("th", { scope: "row" }, label),
      el("td", { class: "num", dataset: { value: G.isNum(settled) ? settled : null, role: "settled" } }, G.usd(settled)),
      el("td", { class: "num", dataset: { value: G.isNum(live) ? live : null, role: "live" } }, G.usd(live)),
      el("td", { class: "num", dataset: { value: G.isNum(adjustment) ? adjustment : null, role: "adjustment" } }, G.usd(adjustment)),
      el("td", { class: "num muted" }, G.isNum(shift) ? G.pct(shift * 100, 1) : "—")
    );
  }

  function renderFlow(riskResult, summaryResult) {
    const panel = $("#flow-panel");
    const box = $("#flow-body");
    const badge = $("#flow-badge");
    const risk = settledOf(riskResult);
    if (!risk) {
      const e = errorOf(riskResult);
      panel.dataset.state = "no-flow";
      badge.hidden = true;
      G.replace(
        box,
        el("p", { class: "empty-state" }, "No intraday flow"),
        el(
          "p",
          { class: "note", id: "flow-reason", dataset: { code: e && e.code ? e.code : null } },
          `The settled numbers stand alone: ${G.describe(e)}`
        )
      );
      return;
    }
    const summary = settledOf(summaryResult);
    panel.dataset.state = "live";
    panel.dataset.direction = risk.flow_direction;
    badge.hidden = false;
    badge.textContent = `flow: ${G.words(risk.flow_direction)}`;
    badge.dataset.direction = risk.flow_direction;
    const oi = risk.oi || {};
    G.replace(
      box,
      el(
        "table",
        { class: "grid-table" },
        el(
          "tbody",
          {},
          el("tr", {}, el("th", {}, ""), el("th", { class: "num" }, "settled"), el("th", { class: "num" }, "live"), el("th", { class: "num" }, "flow"), el("th", { class: "num" }, "shift")),
          flowRow("net_gex", "Net GEX", risk.settled_net_gex, risk.live_net_gex, risk.flow_gex_adjustment, risk.flow_gex_pct_shift),
          flowRow("net_dex", "Net DEX", risk.settled_net_dex, risk.live_net_dex, risk.flow_dex_adjustment, risk.flow_dex_pct_shift)
        )
      ),
      el(
        "p",
        {},
        el("span", { class: "badge subtle", id: "flow-direction", dataset: { direction: risk.flow_direction } }, G.words(risk.flow_direction)),
        " ",
        risk.description
      ),
      el(
        "p",
        { class: "note" },
        `Contracts with flow: ${G.count(risk.contracts_with_flow)} of ${G.count(summary ? summary.contracts_total : oi.contracts_total)}` +
          ` · intraday OI Δ ${G.signedCount(summary ? summary.intraday_oi_delta : oi.intraday_oi_delta)}` +
          ` · |Δ| ${G.count(risk.total_abs_delta_contracts)} contracts · rule ${risk.oi_rule}, confidence ${risk.oi_confidence}`
      )
    );
  }

  function renderOi(result) {
    const box = $("#oi-body");
    const diff = settledOf(result);
    if (!diff) {
      box.dataset.state = "error";
      G.replace(box, el("p", { class: "note" }, G.describe(errorOf(result))));
      return;
    }
    if (!diff.prior_snapshot_available) {
      box.dataset.state = "none";
      G.replace(box, el("p", { class: "note" }, diff.message || "No prior session is stored."));
      return;
    }
    box.dataset.state = "available";
    const rows = (diff.top_oi_changes || []).map((c) =>
      el(
        "tr",
        { dataset: { strike: c.strike, type: c.type, expiry: c.expiry } },
        el("td", { class: "num" }, G.price(c.strike)),
        el("td", {}, c.type),
        el("td", {}, c.expiry),
        el("td", { class: "num" }, G.count(c.prior_oi)),
        el("td", { class: "num" }, G.count(c.today_oi)),
        el("td", { class: `num ${c.oi_change > 0 ? "buy" : c.oi_change < 0 ? "sell" : ""}`, dataset: { value: c.oi_change } }, G.signedCount(c.oi_change))
      )
    );
    G.replace(
      box,
      el(
        "p",
        { class: "note" },
        `Calls ${G.signedCount(diff.total_call_oi_change)} · puts ${G.signedCount(diff.total_put_oi_change)} contracts since ${G.asOf(diff.prior_as_of)}`
      ),
      el(
        "div",
        { class: "scroll" },
        el(
          "table",
          { class: "grid-table", id: "oi-table" },
          el("thead", {}, el("tr", {}, ["strike", "type", "expiry", "prior", "today", "change"].map((h, i) => el("th", { class: i === 0 || i > 2 ? "num" : "" }, h)))),
          el("tbody", {}, rows)
        )
      )
    );
  }

  function renderNarrative(result) {
    const list = $("#narrative-list");
    const body = settledOf(result);
    if (!body) {
      G.replace(list, el("dd", {}, G.describe(errorOf(result))));
      return;
    }
    const n = body.narrative || {};
    const items = [];
    for (const [key, label] of NARRATIVE) {
      if (typeof n[key] !== "string") continue;
      items.push(el("dt", {}, label), el("dd", { dataset: { topic: key } }, n[key]));
    }
    G.replace(list, items);
  }

  function renderQuality(summary) {
    const note = $("#quality-note");
    if (!summary || !summary.data_quality) {
      note.textContent = "";
      return;
    }
    const q = summary.data_quality;
    const warnings = (q.warnings || []).length ? ` · warnings: ${q.warnings.join("; ")}` : "";
    note.textContent = `${G.count(q.contracts_used)} contracts used · dealer model ${state.model}${warnings}`;
  }

  // -- wiring --------------------------------------------------------------------------------
  async function loadSymbols() {
    try {
      const list = await G.api("/v1/symbols");
      G.replace($("#symbol-list"), list.symbols.map((s) => el("option", { value: s })));
    } catch (e) {
      /* the datalist is a convenience */
    }
  }

  function wire() {
    const expiry = $("#expiry-select");
    const model = $("#model-select");
    model.value = state.model;
    if (state.expiration) expiry.append(el("option", { value: state.expiration }, state.expiration));
    expiry.value = state.expiration;
    expiry.addEventListener("change", () => {
      state.expiration = expiry.value;
      syncUrl();
      G.refresh();
    });
    model.addEventListener("change", () => {
      state.model = model.value === "short_all" ? "short_all" : "street";
      syncUrl();
      G.refresh();
    });
    $("#symbol-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("#symbol-input").value.trim().toUpperCase();
      if (value) window.location.assign(G.symbolHref(value));
    });
    $("#symbol-input").value = state.symbol;
    $("#symbol-title").textContent = state.symbol;
  }

  wire();
  G.boot(async () => {
    loadSymbols();
    await G.autoRefresh(load);
  });
})();
