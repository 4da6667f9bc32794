/* gex-engine dashboard: the scan page (/dashboard/scan, /dashboard).
 *
 * One row per symbol of /v1/scan (every symbol of the source, or the ?symbols= watchlist),
 * in the server's order (closest gamma flip first) until a header is clicked; then sorted by
 * that column, ascending, and reversed by a second click (empty cells always last). The flow
 * column comes from /v1/flow/summary/{symbol}, a few at a time, where the server has
 * intraday trades.
 */
(function () {
  "use strict";
  const G = window.GexDash;
  const { el, $ } = G;
  const FLOW_CONCURRENCY = 3;

  const query = new URLSearchParams(window.location.search);
  const state = {
    symbols: (query.get("symbols") || "").toUpperCase().replace(/\s+/g, ""),
    rows: [],
    flow: {}, // symbol -> {direction, description} | {error}
    flowOff: null, // why flow is not fetched at all (the server has no tape or no flow routes)
    sort: null, // {key, dir: 1 | -1}
  };

  function value(row, key) {
    if (key === "flow_direction") {
      const f = state.flow[row.symbol];
      return f && f.direction ? f.direction : null;
    }
    return row[key];
  }

  function sortedRows() {
    const rows = state.rows.slice();
    if (!state.sort) return rows;
    const { key, dir } = state.sort;
    const th = document.querySelector(`#scan-table th[data-key="${key}"]`);
    const numeric = th && th.dataset.type === "num";
    rows.sort((a, b) => {
      const x = value(a, key);
      const y = value(b, key);
      const xNull = x === null || x === undefined || (numeric && !G.isNum(x));
      const yNull = y === null || y === undefined || (numeric && !G.isNum(y));
      if (xNull || yNull) return xNull === yNull ? 0 : xNull ? 1 : -1; // empty cells last
      const c = numeric ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      return c * dir;
    });
    return rows;
  }

  function cell(key, v, text, cls) {
    return el("td", { class: cls || null, dataset: { key: key, value: v === null || v === undefined ? null : v } }, text);
  }

  function flowCell(row) {
    const f = state.flow[row.symbol];
    if (!f) return cell("flow_direction", null, state.flowOff ? "—" : "…", "muted");
    if (f.error) {
      const td = cell("flow_direction", null, "—", "muted");
      td.title = f.error;
      return td;
    }
    const td = cell("flow_direction", f.direction, G.words(f.direction));
    td.title = f.description || "";
    return td;
  }

  function render() {
    const tbody = $("#scan-table tbody");
    const rows = sortedRows().map((row) =>
      el(
        "tr",
        { dataset: { symbol: row.symbol } },
        el("td", { dataset: { key: "symbol", value: row.symbol } }, el("a", { href: G.symbolHref(row.symbol) }, row.symbol)),
        cell("underlying_price", row.underlying_price, G.price(row.underlying_price), "num"),
        el(
          "td",
          { dataset: { key: "regime", value: row.regime } },
          el("span", { class: "badge small", dataset: { regime: row.regime } }, G.words(row.regime).replace(" gamma", ""))
        ),
        cell("net_gex", row.net_gex, G.usd(row.net_gex), "num"),
        cell("gamma_flip", row.gamma_flip, G.price(row.gamma_flip), "num"),
        cell("distance_to_flip_pct", row.distance_to_flip_pct, G.pct(row.distance_to_flip_pct), "num"),
        cell("call_wall", row.call_wall, G.price(row.call_wall), "num"),
        cell("put_wall", row.put_wall, G.price(row.put_wall), "num"),
        cell("zero_dte_pct", row.zero_dte_pct, G.pct(row.zero_dte_pct, 1).replace("+", ""), "num"),
        flowCell(row)
      )
    );
    G.replace(tbody, rows);
    for (const th of document.querySelectorAll("#scan-table th[data-key]")) {
      const on = state.sort && state.sort.key === th.dataset.key;
      th.setAttribute("aria-sort", on ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
    }
  }

  async function loadFlow(symbols) {
    let next = 0;
    const worker = async () => {
      while (next < symbols.length && !state.flowOff) {
        const symbol = symbols[next++];
        try {
          const f = await G.api(`/v1/flow/summary/${G.seg(symbol)}`);
          state.flow[symbol] = { direction: f.flow_direction, description: f.description };
        } catch (e) {
          state.flow[symbol] = { error: G.describe(e) };
          // no trade tape, or no flow routes: the other symbols would answer the same
          if (e.code === "no_trades" || e.code === "not_found") state.flowOff = G.describe(e);
        }
        render();
      }
    };
    await Promise.all(Array.from({ length: FLOW_CONCURRENCY }, worker));
  }

  async function load() {
    const body = await G.api("/v1/scan", { symbols: state.symbols || null });
    G.showError("");
    state.rows = body.rows || [];
    G.setAsOf(body.as_of);
    const count = $("#scan-count");
    count.textContent = `${body.count} of ${body.total === undefined ? body.count : body.total} symbols`;
    const errors = body.errors || [];
    $("#scan-errors").hidden = errors.length === 0;
    G.replace(
      $("#scan-error-list"),
      errors.map((e) => el("li", { dataset: { symbol: e.symbol } }, `${e.symbol}: ${e.message} [${e.error}]`))
    );
    render();
    if (!state.flowOff) await loadFlow(state.rows.map((r) => r.symbol));
    document.body.dataset.flowLoaded = "true";
  }

  function wire() {
    for (const th of document.querySelectorAll("#scan-table th[data-key]")) {
      th.setAttribute("aria-sort", "none");
      th.querySelector("button").addEventListener("click", () => {
        const key = th.dataset.key;
        state.sort = state.sort && state.sort.key === key ? { key: key, dir: -state.sort.dir } : { key: key, dir: 1 };
        render();
      });
    }
    const input = $("#watchlist-input");
    input.value = state.symbols;
    $("#watchlist-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const symbols = input.value.toUpperCase().replace(/\s+/g, "");
      window.location.assign(G.url("/dashboard/scan", { symbols: symbols || null }));
    });
  }

  wire();
  G.boot(() => G.autoRefresh(load));
})();
