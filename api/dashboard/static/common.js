/* gex-engine dashboard: what both pages share (no build step, no dependency but Plotly).
 *
 * - config: /dashboard/config.json (cache TTL = auto-refresh period, whether a key is needed)
 * - the API key: kept in localStorage, sent as X-Api-Key on every API fetch; a key prompt
 *   asks for it when the server requires one and none is stored, or when the server refuses it
 * - api(): fetch + JSON with the API's error bodies turned into ApiError
 * - auto-refresh every max(TTL, 5) s (15 s when the server caches nothing)
 * - formatting of money, prices and percentages; a tiny DOM helper
 */
(function () {
  "use strict";

  const KEY_STORAGE = "gex-dashboard-api-key";
  const MIN_REFRESH_S = 5;
  const NO_CACHE_REFRESH_S = 15;

  const G = (window.GexDash = {});
  G.config = { cache_ttl: 15, keys_required: false, key_header: "X-Api-Key" };

  // -- DOM -------------------------------------------------------------------------------
  G.$ = (selector, root) => (root || document).querySelector(selector);

  /** el("td", {class: "num", dataset: {value: 1}}, "text", child, ...) */
  G.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") {
        for (const [k, v] of Object.entries(value)) {
          if (v !== null && v !== undefined) node.dataset[k] = String(v);
        }
      } else if (name === "class") {
        node.className = value;
      } else if (name.startsWith("on") && typeof value === "function") {
        node.addEventListener(name.slice(2), value);
      } else {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  G.replace = function (node, ...children) {
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  };

  // -- formatting ------------------------------------------------------------------------
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  G.isNum = isNum;

  /** 24605365653.6 -> "$24.61B"; -9.2e9 -> "−$9.27B" */
  G.usd = function (v, digits) {
    if (!isNum(v)) return "—";
    const d = digits === undefined ? 2 : digits;
    const a = Math.abs(v);
    const sign = v < 0 ? "−" : "";
    const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (const [size, unit] of units) {
      if (a >= size) return `${sign}$${(a / size).toFixed(d)}${unit}`;
    }
    return `${sign}$${a.toFixed(0)}`;
  };

  /** a price or a strike: 5824.46 -> "5,824.46" */
  G.price = function (v) {
    if (!isNum(v)) return "—";
    return v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  };

  G.count = function (v) {
    if (!isNum(v)) return "—";
    return Math.round(v).toLocaleString("en-US");
  };

  G.signedCount = function (v) {
    if (!isNum(v)) return "—";
    return (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(Math.round(v)).toLocaleString("en-US");
  };

  /** percent already in percent units: 1.05 -> "+1.05%" */
  G.pct = function (v, digits) {
    if (!isNum(v)) return "—";
    const d = digits === undefined ? 2 : digits;
    return (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(v).toFixed(d) + "%";
  };

  G.words = (s) => (typeof s === "string" ? s.replace(/_/g, " ") : "—");

  G.asOf = function (iso) {
    if (typeof iso !== "string") return "—";
    return iso.replace("T", " ").replace("Z", " UTC");
  };

  // -- URLs and symbols ------------------------------------------------------------------
  /** "/v1/x" + {a: 1, b: null} -> "/v1/x?a=1" (null, undefined and "" left out) */
  G.url = function (path, params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== null && v !== undefined && v !== "") query.set(k, String(v));
    }
    const text = query.toString();
    return text ? `${path}?${text}` : path;
  };

  /** the symbol page of a symbol (a "/" cannot travel in a path: ?symbol= then) */
  G.symbolHref = function (symbol) {
    if (symbol.includes("/")) return G.url("/dashboard", { symbol: symbol });
    return `/dashboard/symbol/${encodeURIComponent(symbol)}`;
  };

  G.seg = (symbol) => encodeURIComponent(symbol);

  // -- the API key -----------------------------------------------------------------------
  G.getKey = function () {
    try {
      return window.localStorage.getItem(KEY_STORAGE) || "";
    } catch (e) {
      return "";
    }
  };
  G.setKey = (key) => window.localStorage.setItem(KEY_STORAGE, key);
  G.forgetKey = () => window.localStorage.removeItem(KEY_STORAGE);

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }
  G.ApiError = ApiError;

  async function rawFetch(path, key) {
    const headers = { Accept: "application/json" };
    if (key) headers[G.config.key_header] = key;
    let response;
    try {
      response = await fetch(path, { headers: headers, cache: "no-store" });
    } catch (e) {
      throw new ApiError(0, "network_error", "The server cannot be reached.");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const message =
        (body && (body.message || body.detail)) || `HTTP ${response.status} ${response.statusText}`;
      const code = (body && body.error) || (response.status === 401 ? "unauthorized" : "error");
      throw new ApiError(response.status, code, message, response.headers.get("Retry-After"));
    }
    return body;
  }

  let keyWaiters = null; // a pending key prompt: the calls waiting for it

  /** GET an API path; 401 opens the key prompt and retries once with the new key. */
  G.api = async function (path, params) {
    const target = G.url(path, params);
    try {
      return await rawFetch(target, G.getKey());
    } catch (e) {
      if (e.status === 401 && G.config.keys_required) {
        await G.promptKey("The server refused the stored key: enter another one.");
        return rawFetch(target, G.getKey());
      }
      throw e;
    }
  };

  /** Show the key prompt; resolves once a key the server accepts is stored. */
  G.promptKey = function (message) {
    if (keyWaiters) return keyWaiters.promise;
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    keyWaiters = { promise: promise };
    const overlay = G.$("#key-prompt");
    const form = G.$("#key-form");
    const input = G.$("#key-input");
    const error = G.$("#key-error");
    G.$("#key-message").textContent =
      message || "This server requires an API key. It is kept in this browser only.";
    error.textContent = "";
    input.value = "";
    overlay.hidden = false;
    input.focus();
    const submit = async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        error.textContent = "Enter a key.";
        return;
      }
      error.textContent = "Checking…";
      try {
        await rawFetch("/v1/symbols", key);
      } catch (e) {
        error.textContent =
          e.status === 401 ? "The server refused this key." : `The key could not be checked: ${e.message}`;
        return;
      }
      G.setKey(key);
      error.textContent = "";
      overlay.hidden = true;
      form.removeEventListener("submit", submit);
      keyWaiters = null;
      updateKeyButton();
      resolve(key);
    };
    form.addEventListener("submit", submit);
    return promise;
  };

  function updateKeyButton() {
    const button = G.$("#key-button");
    if (!button) return;
    button.hidden = !G.config.keys_required;
    button.textContent = G.getKey() ? "Change key" : "Enter key";
  }

  // -- status line and auto-refresh ------------------------------------------------------
  G.refreshSeconds = function () {
    const ttl = Number(G.config.cache_ttl);
    if (!Number.isFinite(ttl) || ttl <= 0) return NO_CACHE_REFRESH_S;
    return Math.max(ttl, MIN_REFRESH_S);
  };

  G.showError = function (message) {
    const banner = G.$("#error-banner");
    if (!banner) return;
    banner.textContent = message || "";
    banner.hidden = !message;
  };

  G.describe = function (e) {
    if (e instanceof ApiError) {
      if (e.status === 429 && e.retryAfter) return `${e.message} (retry in ${e.retryAfter} s)`;
      return e.code && e.code !== "error" ? `${e.message} [${e.code}]` : e.message;
    }
    return String(e && e.message ? e.message : e);
  };

  G.setAsOf = function (iso) {
    const node = G.$("#as-of");
    if (node) {
      node.textContent = G.asOf(iso);
      node.dataset.value = iso || "";
    }
  };

  let timer = null;
  let running = false;
  let refresher = null;

  /** Run load() now and then every refreshSeconds() while the auto-refresh box is ticked. */
  G.autoRefresh = function (load) {
    refresher = load;
    const box = G.$("#auto-refresh");
    const note = G.$("#refresh-period");
    if (note) note.textContent = `${G.refreshSeconds()} s`;
    if (box) box.addEventListener("change", () => schedule());
    return G.refresh();
  };

  function schedule() {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
    const box = G.$("#auto-refresh");
    if (box && !box.checked) return;
    timer = window.setTimeout(() => G.refresh(), G.refreshSeconds() * 1000);
  }

  /** Load now (unless a load is running), then schedule the next one. */
  G.refresh = async function () {
    if (!refresher || running) return;
    running = true;
    document.body.dataset.loading = "true";
    try {
      await refresher();
    } catch (e) {
      G.showError(G.describe(e));
    } finally {
      running = false;
      document.body.dataset.loading = "false";
      document.body.dataset.loads = String(Number(document.body.dataset.loads || "0") + 1);
      schedule();
    }
  };

  // -- start -----------------------------------------------------------------------------
  /** Read the config, ask for a key when one is needed and none is stored, then start(). */
  G.boot = async function (start) {
    try {
      const response = await fetch("/dashboard/config.json", { cache: "no-store" });
      if (response.ok) Object.assign(G.config, await response.json());
    } catch (e) {
      /* keep the defaults */
    }
    const period = G.$("#refresh-period");
    if (period) period.textContent = `${G.refreshSeconds()} s`;
    const button = G.$("#key-button");
    if (button) {
      button.addEventListener("click", async () => {
        G.forgetKey();
        updateKeyButton();
        await G.promptKey("Enter the API key to use (the old one is forgotten).");
        G.refresh();
      });
    }
    updateKeyButton();
    if (G.config.keys_required) {
      if (!G.getKey()) {
        await G.promptKey();
      } else {
        // one check first: a refused key costs one failed attempt, not one per panel
        // (the server throttles an address after GEX_AUTH_FAILURE_LIMIT failures)
        try {
          await rawFetch("/v1/symbols", G.getKey());
        } catch (e) {
          if (e.status === 401) await G.promptKey("The server refused the stored key: enter another one.");
        }
      }
    }
    await start();
  };

  G.plotTheme = function () {
    const css = getComputedStyle(document.documentElement);
    const v = (name, fallback) => (css.getPropertyValue(name) || fallback).trim();
    return {
      fg: v("--fg", "#e6e9ef"),
      muted: v("--muted", "#8b93a7"),
      grid: v("--grid", "#2a3142"),
      green: v("--green", "#2ecc71"),
      red: v("--red", "#ff5c5c"),
      yellow: v("--yellow", "#f5c542"),
      blue: v("--blue", "#5aa9ff"),
      purple: v("--purple", "#b48cff"),
      panel: v("--panel", "#161b26"),
    };
  };

  G.plotConfig = { responsive: true, displaylogo: false, displayModeBar: "hover" };
})();
