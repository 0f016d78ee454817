// Init script (Playwright add_init_script): a stand-in for the browser's push service and notification permission.
// Headless Chromium cannot subscribe for real ("Registration failed - permission denied", docs/web-sdk-wire.md, push),
// so PushManager.subscribe/getSubscription/permissionState and Notification.permission/requestPermission are
// replaced. State lives in localStorage so it survives reloads like a real permission and subscription do:
//   permission: the real one until requestPermission() is called (which grants) or a test calls setPermission();
//   subscription: {endpoint, p256dh, auth, applicationServerKey} once subscribe() succeeded.
// window.__qaPush.setPermission("denied") is the user blocking notifications in the browser settings (the
// subscription goes with it, as in a real browser). Nothing here opens a connection: the endpoint is only a string.
"use strict";
(function () {
  if (typeof window === "undefined" || typeof PushManager === "undefined" || typeof Notification === "undefined") return;
  const PERMISSION = "__qa_push_permission";
  const SUBSCRIPTION = "__qa_push_subscription";
  const realPermission = Object.getOwnPropertyDescriptor(Notification, "permission");
  const read = (key) => { try { return window.localStorage.getItem(key); } catch (e) { return null; } };
  const write = (key, value) => {
    try { value === null ? window.localStorage.removeItem(key) : window.localStorage.setItem(key, value); } catch (e) { /* opaque origin */ }
  };
  const permission = () => read(PERMISSION) || (realPermission && realPermission.get ? realPermission.get.call(Notification) : "default");

  const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const b64url = (bytes) => b64(bytes).replace(/\+/g, "-").replace(/\//g, "_");
  const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
  const toBytes = (key) => {
    if (key == null) return new Uint8Array(0);
    if (typeof key === "string") {
      const s = atob(key.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((key.length + 3) % 4));
      return Uint8Array.from(s, (c) => c.charCodeAt(0));
    }
    return new Uint8Array(key instanceof ArrayBuffer ? key : key.buffer);
  };
  const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer;

  function subscriptionOf(stored) {
    const sub = Object.create(PushSubscription.prototype);
    const key = fromB64(stored.applicationServerKey);
    Object.defineProperties(sub, {
      endpoint: { value: stored.endpoint, enumerable: true },
      expirationTime: { value: null, enumerable: true },
      options: { value: { applicationServerKey: key, userVisibleOnly: true }, enumerable: true },
      getKey: { value: (name) => (name === "p256dh" ? fromB64(stored.p256dh) : name === "auth" ? fromB64(stored.auth) : null) },
      toJSON: { value: () => ({ endpoint: stored.endpoint, expirationTime: null, keys: { p256dh: stored.p256dh, auth: stored.auth } }) },
      unsubscribe: { value: () => { write(SUBSCRIPTION, null); return Promise.resolve(true); } },
    });
    return sub;
  }

  function stored() {
    const raw = read(SUBSCRIPTION);
    return raw ? JSON.parse(raw) : null;
  }

  PushManager.prototype.subscribe = function (options) {
    if (permission() !== "granted") {
      return Promise.reject(new DOMException("Registration failed - permission denied", "NotAllowedError"));
    }
    const serverKey = b64(toBytes(options && options.applicationServerKey));
    let sub = stored();
    if (!sub || sub.applicationServerKey !== serverKey) {
      // an FCM-shaped endpoint, as Chromium's would be; p256dh an uncompressed P-256 point, auth 16 bytes
      const point = randomBytes(65); point[0] = 4;
      sub = {
        endpoint: "https://fcm.googleapis.com/fcm/send/qa-" + b64url(randomBytes(12)) + ":APA91b" + b64url(randomBytes(24)),
        p256dh: b64(point),
        auth: b64(randomBytes(16)),
        applicationServerKey: serverKey,
      };
      write(SUBSCRIPTION, JSON.stringify(sub));
    }
    return Promise.resolve(subscriptionOf(sub));
  };
  PushManager.prototype.getSubscription = function () {
    const sub = permission() === "granted" ? stored() : null;
    return Promise.resolve(sub ? subscriptionOf(sub) : null);
  };
  PushManager.prototype.permissionState = function () {
    const p = permission();
    return Promise.resolve(p === "default" ? "prompt" : p);
  };
  Object.defineProperty(Notification, "permission", { get: permission, configurable: true });
  Notification.requestPermission = function (callback) {
    if (permission() === "default") write(PERMISSION, "granted"); // the user clicks "Allow"
    const result = permission();
    if (typeof callback === "function") callback(result);
    return Promise.resolve(result);
  };
  window.__qaPush = {
    setPermission(value) {
      if (!["granted", "denied", "default"].includes(value)) throw new Error("permission must be granted, denied or default");
      write(PERMISSION, value);
      if (value !== "granted") write(SUBSCRIPTION, null);
    },
    permission,
    subscription: stored,
  };
})();
