// The demo shop wired the way a customer wires Segment's analytics-next with the Braze (Actions) web-mode destination
// from npm: the destination's plugin factory passed to `AnalyticsBrowser.load({ plugins })` and its settings given in
// code (`cdnSettings`: nothing fetched from cdn.segment.com), subscribed with the destination's own default mappings
// (its `presets`: Identify Calls, Order Completed calls, Track Calls). Braze's endpoint is the destination's `endpoint`
// setting. Every action goes through `analytics` only; `window.braze` (loaded by the destination) is used only to
// flush Braze's queue and for what Segment does not forward (Content Cards, feature flags, web push: braze_direct.js),
// as a site does.
"use strict";

(function () {
  const params = new URLSearchParams(location.search);
  const extra = JSON.parse(params.get("options") || "{}");
  const state = document.querySelector('[data-testid="status-sdk"]');
  const definition = window.SegmentBrazeDefinition;
  let analytics = null;

  // a mapping edited in Segment's UI: `mappingChanges` {preset name: {field: mapping, or null to unmap it}}
  function mapping(preset) {
    const changes = (extra.mappingChanges || {})[preset.name] || {};
    const result = Object.assign({}, preset.mapping, changes);
    for (const [field, value] of Object.entries(changes)) if (value === null) delete result[field];
    return result;
  }

  function brazeSettings() {
    const subscriptions = definition.presets.map((preset) => ({
      name: preset.name, enabled: true, subscribe: preset.subscribe, partnerAction: preset.partnerAction,
      mapping: mapping(preset),
    }));
    return Object.assign(
      {
        api_key: params.get("brazeKey"),
        endpoint: params.get("brazeBaseUrl"),
        sdkVersion: "4.6",
        doNotLoadFontAwesome: true,
        automaticallyDisplayMessages: true,
        serviceWorkerLocation: "/service-worker.js", // the Braze service worker the site hosts (web push)
        enableLogging: params.get("logging") === "1",
        subscriptions,
      },
      extra.destinationSettings || {},
    );
  }

  function cdnSettings() {
    const writeKey = params.get("writeKey");
    return {
      integrations: { "Segment.io": { apiKey: writeKey, apiHost: "api.segment.io/v1", protocol: "https" } },
      remotePlugins: [
        {
          name: definition.name, creationName: definition.name, libraryName: "brazeDestination",
          url: "https://cdn.segment.com/next-integrations/actions/braze/index.js", settings: brazeSettings(),
        },
      ],
    };
  }

  function showUser() {
    document.querySelector('[data-testid="status-user"]').textContent = analytics.user().id() || "";
  }

  const done = (ctx) => (showUser(), ctx?.event?.messageId ?? null);

  window.shop = {
    login: (userId) => analytics.identify(userId).then(done),
    logout: () => analytics.reset(),
    // traits the destination's default Identify mapping reads: email, firstName, lastName, gender, phone, address.city;
    // country from context.location.country
    identify: (traits, context) => analytics.identify(traits, context ? { context } : {}).then(done),
    setAttribute: (key, value) => analytics.identify({ [key]: value }).then(done),
    track: (name, props) => analytics.track(name, props || {}).then(done),
    flush: () => window.braze.requestImmediateDataFlush(),
    userId: () => analytics.user().id() ?? null,
    // Content Cards, web push: Segment forwards none; Braze's own API (`window.braze`, loaded by the destination)
    ...window.brazeDirect.actions,
  };

  function fail(error) {
    state.textContent = String(error);
    document.body.dataset.shopState = "failed";
  }

  window.SegmentAnalytics.load(
    { writeKey: params.get("writeKey"), cdnSettings: cdnSettings(), plugins: [window.SegmentBrazeDestination] },
    { initialPageview: false },
  )
    .then(([instance]) => {
      analytics = instance;
      return analytics.ready();
    })
    .then(() => {
      if (!window.braze) throw new Error("the Braze destination did not load the Braze Web SDK");
      window.brazeDirect.watchFlags();
      showUser();
      state.textContent = "ready";
      document.body.dataset.shopState = "ready";
    })
    .catch(fail);
})();
