// Demo web app integrating the Braze Web SDK the way a customer site does.
// Every action goes through run(): it records what was done and what the SDK returned,
// and turns bad input into a visible error instead of an uncaught exception, so a test
// driver can read the outcome from the page (data-testid="status-*").
"use strict";

(function () {
  const params = new URLSearchParams(window.location.search);
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
  const state = {
    seq: 0,            // bumped by every action, so a driver can wait for "its" outcome
    appUser: null,     // who the *app* thinks is logged in (not the SDK's user)
    lastAction: "",
    lastResult: undefined,
    error: "",
    cards: 0,
    authFailures: [],
    push: "",          // outcome of the last push action: granted | denied | temporarily-denied | unregistered | ...
    log: [],
  };
  const demo = { state, isReady: false, initError: null };
  window.demo = demo;

  // ---------- helpers ----------

  class InputError extends Error {}

  // `{"$date": "..."}` inside JSON input becomes a Date, so date-typed props can be entered as text.
  function reviveDates(_key, value) {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === "$date") return toDate(value.$date);
    }
    return value;
  }

  function parseJson(text, what) {
    try {
      return JSON.parse(text, reviveDates);
    } catch (e) {
      throw new InputError(`${what} is not valid JSON: ${e.message}`);
    }
  }

  function parseProps(text, what) {
    if (!text.trim()) return undefined;
    const props = parseJson(text, what);
    if (!isPlainObject(props)) throw new InputError(`${what} must be a JSON object`);
    return props;
  }

  function isPlainObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
  }

  function toDate(v) {
    const d = v instanceof Date ? v : new Date(v);
    if (typeof v === "boolean" || v === null || Number.isNaN(d.getTime())) {
      throw new InputError(`not a date: ${JSON.stringify(v)}`);
    }
    return d;
  }

  function toNumber(v, what) {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n)) throw new InputError(`${what} must be a number`);
    return n;
  }

  function user() {
    const u = braze.getUser();
    if (!u) throw new Error("the Braze SDK is not initialised");
    return u;
  }

  // getDeviceId()/getUser().getUserId() return the id from Web SDK 4.10.0 on; before that only a callback
  // (called at once) receives it. A site built for both reads the return value, else passes a callback.
  function readId(get) {
    const direct = get();
    if (direct !== undefined) return direct;
    let viaCallback;
    get((id) => { viaCallback = id; });
    return viaCallback;
  }

  function deviceId() {
    return readId((cb) => braze.getDeviceId(cb)) ?? null;
  }

  function sdkUserId() {
    const u = braze.getUser();
    return u ? readId((cb) => u.getUserId(cb)) ?? null : null;
  }

  function show(value) {
    if (value === undefined) return "undefined";
    try {
      return JSON.stringify(value);
    } catch (_e) {
      return String(value);
    }
  }

  function render() {
    const set = (id, text) => { byTestId(id).textContent = text; };
    let shownUser = "", shownDevice = "";
    if (demo.isReady) {
      shownUser = sdkUserId() ?? "";
      shownDevice = deviceId() ?? "";
    }
    set("status-sdk", demo.initError ? `failed: ${demo.initError}` : demo.isReady ? "ready" : "loading…");
    set("status-app-user", state.appUser ?? "(logged out)");
    set("status-user-id", shownUser);
    set("status-device-id", shownDevice);
    set("status-cards", String(state.cards));
    const lastAuth = state.authFailures[state.authFailures.length - 1];
    set("status-auth-failures", lastAuth
      ? `${state.authFailures.length} (last: ${lastAuth.errorCode} ${lastAuth.reason ?? ""})` : "0");
    set("status-seq", String(state.seq));
    set("status-last-action", state.lastAction);
    set("status-last-result", show(state.lastResult));
    set("status-error", state.error);
    set("status-push", state.push);
    const list = byTestId("log");
    list.replaceChildren(...state.log.slice(-50).reverse().map((line) => {
      const li = document.createElement("li");
      li.textContent = line;
      return li;
    }));
  }

  // Run one action; never throws. Returns {ok, result} or {ok: false, error}.
  function run(label, fn) {
    state.seq += 1;
    state.lastAction = label;
    state.lastResult = undefined;
    state.error = "";
    let outcome;
    try {
      if (!demo.isReady) throw new Error(demo.initError || "the Braze SDK is not initialised yet");
      const result = fn();
      state.lastResult = result;
      outcome = { ok: true, result };
      state.log.push(`${label} -> ${show(result)}`);
    } catch (e) {
      state.error = e instanceof InputError ? e.message : `${e.name}: ${e.message}`;
      outcome = { ok: false, error: state.error };
      state.log.push(`${label} !! ${state.error}`);
    }
    render();
    return outcome;
  }

  // ---------- actions (also exposed as window.demo.*) ----------

  // With SDK authentication on (init option enableSdkAuthentication), a signature (JWT) goes with the user.
  function login(userId, signature) {
    const label = signature ? `changeUser(${show(userId)}, <jwt>)` : `changeUser(${show(userId)})`;
    return run(label, () => {
      if (!userId) throw new InputError("user id is empty");
      if (signature) braze.changeUser(userId, signature);
      else braze.changeUser(userId);
      state.appUser = userId;
      return true;
    });
  }

  // App-level logout: the app forgets who is logged in. Per Braze guidance it does NOT call
  // changeUser (there is no "anonymous" user to switch back to; changing to another id would
  // create a new profile) -- the device keeps tracking the last identified user until the
  // next login. (6.13.0 also has braze.logout(), which wipes all SDK data; not used here.)
  function logout() {
    return run("logout (app only)", () => {
      state.appUser = null;
      return true;
    });
  }

  const PROFILE_SETTERS = {
    first_name: (u, v) => u.setFirstName(v),
    last_name: (u, v) => u.setLastName(v),
    email: (u, v) => u.setEmail(v),
    gender: (u, v) => u.setGender(v),
    dob: (u, v) => {
      const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v);
      if (!m) throw new InputError(`date of birth must be YYYY-MM-DD, got ${show(v)}`);
      return u.setDateOfBirth(Number(m[1]), Number(m[2]), Number(m[3]));
    },
    country: (u, v) => u.setCountry(v),
    home_city: (u, v) => u.setHomeCity(v),
    language: (u, v) => u.setLanguage(v),
    phone: (u, v) => u.setPhoneNumber(v),
    email_subscribe: (u, v) => u.setEmailNotificationSubscriptionType(v),
    push_subscribe: (u, v) => u.setPushNotificationSubscriptionType(v),
  };

  function saveProfile(fields) {
    return run(`saveProfile(${show(fields)})`, () => {
      const entries = Object.entries(fields || {});
      if (!entries.length) throw new InputError("no profile field filled in");
      const u = user();
      const results = {};
      for (const [name, value] of entries) {
        const setter = PROFILE_SETTERS[name];
        if (!setter) throw new InputError(`unknown profile field ${show(name)}`);
        results[name] = setter(u, value);
      }
      return results;
    });
  }

  function setAttribute(key, value, kind = "auto") {
    return run(`setAttribute(${show(key)}, ${show(value)}, ${kind})`, () => {
      if (!key) throw new InputError("attribute key is empty");
      return applyAttribute(user(), key, value, kind);
    });
  }

  function applyAttribute(u, key, value, kind) {
    const expect = (ok, what) => { if (!ok) throw new InputError(`${kind} attribute needs ${what}, got ${show(value)}`); };
    switch (kind) {
      case "auto":
        return u.setCustomUserAttribute(key, value === undefined ? null : value);
      case "string":
        expect(typeof value === "string", "a string");
        return u.setCustomUserAttribute(key, value);
      case "number":
        return u.setCustomUserAttribute(key, toNumber(value, "number attribute"));
      case "boolean":
        expect(typeof value === "boolean", "true or false");
        return u.setCustomUserAttribute(key, value);
      case "date":
        return u.setCustomUserAttribute(key, toDate(value));
      case "array":
        expect(Array.isArray(value), "a JSON array");
        return u.setCustomUserAttribute(key, value);
      case "object":
      case "object-merge":
        expect(isPlainObject(value), "a JSON object");
        return u.setCustomUserAttribute(key, value, kind === "object-merge");
      case "increment":
        return u.incrementCustomUserAttribute(key, value == null ? 1 : toNumber(value, "increment"));
      case "add-to-array":
        expect(value != null, "a value");
        return u.addToCustomAttributeArray(key, value);
      case "remove-from-array":
        expect(value != null, "a value");
        return u.removeFromCustomAttributeArray(key, value);
      case "location": {
        if (value == null) return u.setCustomLocationAttribute(key, null, null);
        const [lat, lon] = Array.isArray(value) ? value : [value.latitude, value.longitude];
        return u.setCustomLocationAttribute(key, toNumber(lat, "latitude"), toNumber(lon, "longitude"));
      }
      case "null":
        return u.setCustomUserAttribute(key, null);
      default:
        throw new InputError(`unknown attribute type ${show(kind)}`);
    }
  }

  function logEvent(name, properties) {
    return run(`logCustomEvent(${show(name)}, ${show(properties)})`, () =>
      braze.logCustomEvent(name, properties));
  }

  function purchase(productId, price, currency = "USD", quantity = 1, properties) {
    const label = `logPurchase(${show(productId)}, ${show(price)}, ${show(currency)}, ${show(quantity)}, ${show(properties)})`;
    return run(label, () => {
      const p = toNumber(price, "price");
      const q = toNumber(quantity, "quantity");
      return braze.logPurchase(productId, p, currency || undefined, q, properties);
    });
  }

  function setSignature(signature) {
    return run("setSdkAuthenticationSignature(<jwt>)", () => {
      if (!signature) throw new InputError("signature is empty");
      braze.setSdkAuthenticationSignature(signature);
      return true;
    });
  }

  function flush() {
    return run("requestImmediateDataFlush()", () => {
      braze.requestImmediateDataFlush();
      return true;
    });
  }

  // ---------- messaging: feature flag gate, banners, content cards ----------

  const FLAG_ID = params.get("flag") || "new_checkout";
  const PLACEMENTS = (params.get("placements") || "home,sidebar").split(",").filter(Boolean);

  function renderFlags() {
    const flags = (braze.getAllFeatureFlags?.() || []).filter((f) => f.enabled).map((f) => f.id).sort();
    byTestId("status-flags").textContent = flags.join(",");
    const gate = byTestId("flag-gated");
    const flag = braze.getFeatureFlag?.(FLAG_ID);
    gate.hidden = !flag?.enabled;
    if (flag?.enabled) {
      const label = flag.getStringProperty("label");
      byTestId("new-checkout").textContent = label || "New checkout";
      braze.logFeatureFlagImpression(FLAG_ID);  // the SDK logs once per session
    }
  }

  // The banners come from the subscriber's argument: calling getBanner() inside the subscriber recurses
  // forever in 6.13.0 while banners are disabled (getBanner clears the cache and notifies subscribers).
  let currentBanners = {};

  function renderBanners(banners) {
    currentBanners = banners || {};
    const shown = [];
    for (const placement of PLACEMENTS) {
      const slot = document.querySelector(`.banner-slot[data-placement="${placement}"]`);
      if (!slot) continue;
      const banner = currentBanners[placement];
      slot.replaceChildren();
      delete slot.dataset.bannerId;
      if (!banner || banner.isControl) {
        if (banner && braze.logBannerImpressions) braze.logBannerImpressions([placement]);  // control: impression, nothing shown
        continue;
      }
      slot.dataset.bannerId = banner.id;
      shown.push(`${placement}=${banner.id}`);
      if (typeof banner.html !== "string" || !braze.logBannerImpressions) {
        braze.insertBanner(banner, slot);  // Web SDK 6.0-6.4: no Banner.html; the SDK renders and logs itself
        continue;
      }
      slot.innerHTML = banner.html;  // our own campaigns: a real site would sanitise or use insertBanner
      braze.logBannerImpressions([placement]);
    }
    byTestId("status-banners").textContent = shown.join(",");
  }

  function refreshBanners() {
    return run(`requestBannersRefresh(${show(PLACEMENTS)})`, () => {
      braze.requestBannersRefresh(PLACEMENTS);
      return true;
    });
  }

  // A click on an element with data-button-id inside a banner logs a banner click (braze.logBannerClick: Web SDK
  // 6.4.0+; 5.x's npm package does not export it, so there the click goes unlogged, as on such a site).
  document.querySelectorAll(".banner-slot").forEach((slot) => slot.addEventListener("click", (ev) => {
    const target = ev.target.closest("[data-button-id]");
    const banner = currentBanners[slot.dataset.placement];
    if (target && banner && braze.logBannerClick) braze.logBannerClick(banner, target.dataset.buttonId);
  }));

  function showCards() {
    return run("showContentCards(#content-cards)", () => {
      braze.showContentCards(document.getElementById("content-cards"));
      return true;
    });
  }

  function refreshCards() {
    return run("requestContentCardsRefresh()", () => {
      braze.requestContentCardsRefresh();
      return true;
    });
  }

  byTestId("refresh-banners").addEventListener("click", () => refreshBanners());
  byTestId("show-cards").addEventListener("click", () => showCards());
  byTestId("refresh-cards").addEventListener("click", () => refreshCards());

  Object.assign(demo, {
    login, logout, saveProfile, setAttribute, logEvent, purchase, flush, refreshBanners, showCards, refreshCards, setSignature,
    authFailures: () => state.authFailures.slice(),
    deviceId: () => (demo.isReady ? deviceId() : null),
    userId: () => (demo.isReady ? sdkUserId() : null),
  });

  // ---------- forms ----------

  const value = (id) => byTestId(id).value;

  // Parse form input inside run() so bad JSON becomes a visible error, not an exception.
  function fromForm(label, build, action) {
    let args;
    try {
      args = build();
    } catch (e) {
      return run(label, () => { throw e; });
    }
    return action(...args);
  }

  function onSubmit(testId, handler) {
    byTestId(testId).addEventListener("submit", (ev) => {
      ev.preventDefault();
      handler();
    });
  }

  onSubmit("login-form", () => login(value("user-id").trim(), value("auth-signature").trim() || undefined));
  byTestId("set-signature").addEventListener("click", () => setSignature(value("auth-signature").trim()));
  byTestId("logout").addEventListener("click", () => logout());

  const PROFILE_INPUTS = {
    first_name: "first-name", last_name: "last-name", email: "email", gender: "gender", dob: "dob",
    country: "country", home_city: "home-city", language: "language", phone: "phone",
    email_subscribe: "email-subscribe", push_subscribe: "push-subscribe",
  };
  onSubmit("profile-form", () => {
    const fields = {};
    for (const [name, id] of Object.entries(PROFILE_INPUTS)) {
      const v = value(id).trim();
      if (v) fields[name] = v;
    }
    saveProfile(fields);
  });

  onSubmit("attribute-form", () => fromForm("setAttribute (form)", () => {
    const kind = value("attr-kind");
    const text = value("attr-value");
    let parsed;
    if (kind === "null" || (kind === "increment" && !text.trim())) {
      parsed = null;
    } else if (kind === "string") {
      // Humans type plain text; a JSON string literal (what drivers send) is unquoted.
      try { parsed = JSON.parse(text); } catch (_e) { parsed = text; }
      if (typeof parsed !== "string") parsed = text;
    } else {
      if (!text.trim()) throw new InputError("attribute value is empty");
      parsed = parseJson(text, "attribute value");
    }
    return [value("attr-key").trim(), parsed, kind];
  }, setAttribute));

  onSubmit("event-form", () => fromForm("logCustomEvent (form)", () =>
    [value("event-name").trim(), parseProps(value("event-props"), "event properties")], logEvent));

  onSubmit("purchase-form", () => fromForm("logPurchase (form)", () => [
    value("product-id").trim(),
    toNumber(value("price"), "price"),
    value("currency").trim() || "USD",
    value("quantity").trim() ? toNumber(value("quantity"), "quantity") : 1,
    parseProps(value("purchase-props"), "purchase properties"),
  ], purchase));

  byTestId("flush").addEventListener("click", () => flush());

  // ---------- web push (the SDK's service worker is served at /service-worker.js) ----------

  function notePush(outcome) {
    state.push = outcome;
    state.log.push(`push: ${outcome}`);
    render();
  }

  // The permission prompt and subscription are asynchronous: the action returns at once and the outcome
  // lands in status-push (granted / denied / temporarily-denied).
  function requestPushPermission() {
    return run("requestPushPermission()", () => {
      state.push = "pending";
      braze.requestPushPermission(
        () => notePush("granted"),
        (temporary) => notePush(temporary ? "temporarily-denied" : "denied"),
      );
      return true;
    });
  }

  function unregisterPush() {
    return run("unregisterPush()", () => {
      state.push = "pending";
      braze.unregisterPush(() => notePush("unregistered"), () => notePush("unregister-failed"));
      return true;
    });
  }

  byTestId("request-push").addEventListener("click", () => requestPushPermission());
  byTestId("unregister-push").addEventListener("click", () => unregisterPush());

  // ---------- SDK initialisation ----------

  function initialise() {
    if (typeof window.braze === "undefined") {
      throw new Error("the SDK bundle /sdk/braze.js did not load (window.braze is undefined)");
    }
    const apiKey = params.get("apiKey");
    const baseUrl = params.get("baseUrl");
    if (!apiKey || !baseUrl) throw new Error("the page needs ?apiKey=…&baseUrl=… in its URL");

    const options = { baseUrl, doNotLoadFontAwesome: true };
    if (params.get("deviceId")) options.deviceId = params.get("deviceId");
    if (params.get("sessionTimeout")) options.sessionTimeoutInSeconds = Number(params.get("sessionTimeout"));
    if (params.get("logging") === "1") options.enableLogging = true;
    // Escape hatch for suites needing other init options, e.g. ?options={"appVersion":"1.2.3"}
    if (params.get("options")) Object.assign(options, JSON.parse(params.get("options")));

    if (!braze.initialize(apiKey, options)) throw new Error("braze.initialize() returned false");
    braze.automaticallyShowInAppMessages();
    braze.subscribeToSdkAuthenticationFailures((error) => {
      state.authFailures.push({ errorCode: error?.errorCode, reason: error?.reason, userId: error?.userId });
      state.log.push(`SDK authentication failure: ${show(error?.errorCode)} ${error?.reason ?? ""}`);
      render();
    });
    braze.subscribeToContentCardsUpdates((updates) => {
      state.cards = updates?.cards?.length ?? 0;
      render();
    });
    if (braze.subscribeToFeatureFlagsUpdates) braze.subscribeToFeatureFlagsUpdates(() => renderFlags());
    if (braze.subscribeToBannersUpdates) braze.subscribeToBannersUpdates((banners) => renderBanners(banners));
    demo.isReady = true;
    if (params.get("autoSession") !== "0") braze.openSession();
    state.log.push(`initialize(${show(apiKey)}, ${show(options)}) -> true`);
  }

  try {
    initialise();
    document.body.dataset.demoState = "ready";
  } catch (e) {
    demo.isReady = false;
    demo.initError = e.message;
    document.body.dataset.demoState = "error";
  }
  demo.ready = demo.isReady ? Promise.resolve(true) : Promise.reject(new Error(demo.initError));
  demo.ready.catch(() => {}); // a failed init is reported in the page, not as an unhandled rejection
  render();
})();
