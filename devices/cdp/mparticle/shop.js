// The demo shop wired the way a customer wires mParticle with its Braze kit (npm, self-hosted):
// the kit registered into the config (`brazeKit.register(config)`), its settings given in code (`kitConfigs`,
// `requestConfig: false`: nothing fetched from mParticle's config service), Braze's endpoint through the kit's
// documented `customFlags` hook (module id 28: `initOptions(options)`). Every action goes through mParticle only;
// `window.braze` (set by the kit) is used to flush Braze's queue and for what the kit does not forward (Content Cards,
// feature flags, web push: braze_direct.js), as the kit's own docs allow.
"use strict";

(function () {
  const params = new URLSearchParams(location.search);
  const extra = JSON.parse(params.get("options") || "{}");
  const state = document.querySelector('[data-testid="status-sdk"]');
  const BRAZE_KIT_MODULE_ID = 28;
  const ACTIVE_SESSION = -3; // mParticle's HTTPCodes.activeSession

  function settings() {
    return Object.assign(
      {
        apiKey: params.get("brazeKey"),
        userIdentificationType: "CustomerId",
        ABKSessionTimeoutKey: "1800",
        forwardScreenViews: "False",
        bundleCommerceEventData: "False",
        forwardSkuAsProductName: "True",
        enableHtmlInAppMessages: "False",
        doNotLoadFontAwesome: "True",
        register_inapp: "True",
        serviceWorkerLocation: "/service-worker.js", // the Braze service worker the site hosts (web push)
      },
      extra.kitSettings || {},
    );
  }

  function whenIdentified(resolve, reject) {
    return (result) => {
      if (result.httpCode === 200) resolve(result.getUser().getMPID());
      else reject(new Error(`identity call answered ${result.httpCode}`));
    };
  }

  function user() {
    return mParticle.Identity.getCurrentUser();
  }

  function setAttribute(key, value) {
    if (value === null) return user().removeUserAttribute(key);
    if (Array.isArray(value)) return user().setUserAttributeList(key, value);
    return user().setUserAttribute(key, value);
  }

  window.shop = {
    login: (userId) =>
      new Promise((resolve, reject) =>
        mParticle.Identity.login({ userIdentities: { customerid: userId } }, whenIdentified(resolve, reject))),
    logout: () => new Promise((resolve, reject) => mParticle.Identity.logout({}, whenIdentified(resolve, reject))),
    setProfile: (fields) => {
      for (const [key, value] of Object.entries(fields)) {
        setAttribute(key, key === "dob" && value ? new Date(`${value}T00:00:00`) : value);
      }
    },
    setAttribute,
    logEvent: (name, props) => mParticle.logEvent(name, mParticle.EventType.Other, props || {}),
    purchase: (productId, price, currency, quantity, props, transactionId) => {
      const product = mParticle.eCommerce.createProduct(productId, productId, price, quantity,
        undefined, undefined, undefined, undefined, undefined, props || {});
      mParticle.eCommerce.setCurrencyCode(currency);
      mParticle.eCommerce.logProductAction(mParticle.ProductActionType.Purchase, [product], {},
        undefined, { Id: transactionId, Revenue: price * quantity });
    },
    flush: () => {
      mParticle.upload();
      window.braze.requestImmediateDataFlush();
    },
    mpid: () => user()?.getMPID() ?? null,
    // Content Cards, web push: not forwarded by the kit; Braze's own API (`window.braze`, set by the kit)
    ...window.brazeDirect.actions,
  };

  const config = {
    isDevelopmentMode: true,
    requestConfig: false,
    logLevel: params.get("logging") === "1" ? "verbose" : "warning",
    identifyRequest: { userIdentities: {} },
    kitConfigs: [
      { name: "Appboy", suffix: "v4", moduleId: BRAZE_KIT_MODULE_ID, isDebug: true, isVisible: true, settings: settings(),
        eventNameFilters: [], eventTypeFilters: [], attributeFilters: [], screenNameFilters: [],
        userIdentityFilters: [], userAttributeFilters: [], screenAttributeFilters: [] },
    ],
    customFlags: {
      [BRAZE_KIT_MODULE_ID]: {
        initOptions: (options) => {
          options.baseUrl = params.get("brazeBaseUrl");
          if (extra.brazeInitOptions) Object.assign(options, extra.brazeInitOptions);
        },
      },
    },
    identityCallback: (result) => {
      // 200: identified; -3 (activeSession): a reload within the session, the stored user kept without a call
      const ok = result.httpCode === 200 || result.httpCode === ACTIVE_SESSION;
      document.querySelector('[data-testid="status-mpid"]').textContent = result.getUser()?.getMPID() ?? "";
      if (!document.body.dataset.shopState) {
        document.body.dataset.shopState = ok ? "ready" : "failed";
        state.textContent = ok ? "ready" : `identify answered ${result.httpCode}`;
      }
    },
  };
  try {
    window.mParticleBrazeKit.register(config);
    mParticle.init(params.get("mpKey"), config);
    mParticle.ready(window.brazeDirect.watchFlags); // feature flags are not forwarded by the kit either
  } catch (error) {
    state.textContent = String(error);
    document.body.dataset.shopState = "failed";
  }
})();
