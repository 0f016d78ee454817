// What a CDP shop does with Braze's own API beside its CDP, the same for every CDP: the Braze SDK its integration
// loads is callable directly (`window.braze`), as mParticle's and Segment's Braze docs allow, for what the
// integration does not forward: Content Cards, feature flags, web push (the site's "Enable notifications", with the
// Braze service worker the site hosts at /service-worker.js). Each shop.js adds these to its `window.shop`.
"use strict";

(function () {
  const FLAG_ID = "new_checkout";

  function renderFlags() {
    const flag = window.braze.getFeatureFlag?.(FLAG_ID);
    document.querySelector('[data-testid="flag-gated"]').hidden = !flag?.enabled;
    if (flag?.enabled) {
      document.querySelector('[data-testid="new-checkout"]').textContent = flag.getStringProperty("label") || "New checkout";
      window.braze.logFeatureFlagImpression(FLAG_ID);
    }
  }

  window.brazeDirect = {
    // once the integration has initialised Braze: the flag-gated button follows the flags
    watchFlags: () => {
      window.braze.subscribeToFeatureFlagsUpdates?.(renderFlags);
      renderFlags();
    },
    actions: {
      showContentCards: () => window.braze.showContentCards(document.getElementById("content-cards")),
      refreshContentCards: () => window.braze.requestContentCardsRefresh(),
      brazeDeviceId: () => new Promise((resolve) => window.braze.getDeviceId(resolve)),
      requestPush: () => new Promise((resolve, reject) => window.braze.requestPushPermission(
        () => resolve("granted"),
        (temporary) => reject(new Error(`push permission ${temporary ? "temporarily " : ""}denied`)))),
      unregisterPush: () => new Promise((resolve, reject) =>
        window.braze.unregisterPush(() => resolve("unregistered"), () => reject(new Error("unregisterPush() failed")))),
    },
  };
})();
