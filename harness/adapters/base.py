"""The app adapter: how QA suites drive "the app" without knowing which app it is.

The suites only talk to an ``AppAdapter``. To run them against your own staging app,
write one subclass that performs each action the way a user of that app would (tap the
login button, fill the profile form, ...). The bundled ``WebDemoAdapter``
(``devices/web/demo/adapter.py``) is the reference implementation.

Actions return what the SDK answered when the app can tell (``True``/``False`` from the
Braze setter), else ``None``. Input the app itself rejects should raise an exception.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Literal, Self, get_args

from braze_harness.errors import HarnessError
from braze_harness.protocol.attributes import STANDARD_ATTRIBUTES

AttributeKind = Literal[
    "auto",
    "string",
    "number",
    "boolean",
    "date",
    "array",
    "object",
    "object-merge",
    "increment",
    "add-to-array",
    "remove-from-array",
    "location",
    "null",
]
"""How ``set_custom_attribute`` applies its value (Braze call it maps to):

- ``auto``: from the Python type (bool, int/float, str, datetime, list, dict, None)
- ``string`` / ``number`` / ``boolean`` / ``date`` / ``array`` / ``object``: ``setCustomUserAttribute``
- ``object-merge``: ``setCustomUserAttribute(key, obj, merge=True)`` (nested attribute merge, ``ncam``)
- ``increment``: ``incrementCustomUserAttribute`` (value: a number, ``None`` = 1)
- ``add-to-array`` / ``remove-from-array``: ``addToCustomAttributeArray`` / ``removeFromCustomAttributeArray``
- ``location``: ``setCustomLocationAttribute``; value ``(lat, lon)``, ``{"latitude", "longitude"}`` or ``None`` (remove)
- ``null``: unset the attribute
"""

ATTRIBUTE_KINDS: tuple[str, ...] = get_args(AttributeKind)

STANDARD_PROFILE_FIELDS: tuple[str, ...] = tuple(
    f for f in STANDARD_ATTRIBUTES if f not in ("native_line_id", "image_url", "time_zone")
)
"""Keyword names accepted by ``set_profile`` (wire names of Braze's standard attributes)."""


def check_profile_fields(fields: Mapping[str, Any]) -> None:
    """``set_profile``'s keywords must be ``STANDARD_PROFILE_FIELDS``: a typo is a ValueError naming them all."""
    unknown = set(fields) - set(STANDARD_PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"unknown profile fields {sorted(unknown)}; known: {', '.join(STANDARD_PROFILE_FIELDS)}")


class AdapterLimitation(HarnessError):
    """The app cannot do what a test asked, by a documented limitation of how it is built (e.g. a CDP's Braze kit
    has no call for it). The pytest plugin reports the test as skipped with this message, naming the limitation.
    Raise it from a declared capability table (`Capabilities`), never from a list of test names."""


Capabilities = Mapping[str, str | None]
"""An adapter's capability table: capability name -> None (supported) or the documented limitation (unsupported).
Names: the `AppAdapter` actions, and `set_custom_attribute:<kind>` for each `AttributeKind`."""


def require(capabilities: Capabilities, capability: str, app: str) -> None:
    """Raise `AdapterLimitation` when `capabilities` declares `capability` unsupported (a name not in it is a bug)."""
    if capability not in capabilities:
        raise KeyError(f"{app}: capability {capability!r} is not declared in its capability table")
    limitation = capabilities[capability]
    if limitation is not None:
        raise AdapterLimitation(f"{app} cannot {capability}: {limitation}")


class AppAdapter(ABC):
    """One running instance of the app under test, with the Braze SDK inside it."""

    @abstractmethod
    def launch(self) -> None:
        """Start (or open) the app and wait until the SDK is initialised."""

    @abstractmethod
    def login(self, user_id: str) -> bool | None:
        """Log in as ``user_id`` the way the app does it (ends up in ``changeUser``)."""

    @abstractmethod
    def logout(self) -> bool | None:
        """Log out in the app. Braze guidance: apps do not call ``changeUser`` on logout."""

    @abstractmethod
    def set_profile(self, **standard_fields: str) -> Mapping[str, bool] | None:
        """Set standard attributes, e.g. ``set_profile(first_name="Ada", email="ada@example.com")``.

        Names: ``STANDARD_PROFILE_FIELDS``; ``dob`` as ``"YYYY-MM-DD"``.
        """

    @abstractmethod
    def set_custom_attribute(self, key: str, value: Any, *, kind: AttributeKind = "auto") -> bool | None:
        """Set a custom attribute; ``kind`` picks the SDK call (see ``AttributeKind``)."""

    @abstractmethod
    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        """Log a custom event."""

    @abstractmethod
    def purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool | None:
        """Log a purchase."""

    @abstractmethod
    def flush(self) -> None:
        """Ask the SDK to send what it has queued now (``requestImmediateDataFlush``)."""

    @abstractmethod
    def reload(self) -> None:
        """Restart the app (page reload / relaunch) keeping its stored data; wait until ready."""

    @abstractmethod
    def close(self) -> None:
        """Close the app. Must be safe to call twice."""

    @abstractmethod
    def advance_time(self, seconds: float) -> None:
        """Make ``seconds`` pass for the app's clock without waiting (session timeout, SDK timers)."""

    @property
    @abstractmethod
    def device_id(self) -> str | None:
        """The SDK's device id, or ``None`` if the app cannot tell yet."""

    # ---- push (optional: suites that need these skip on an adapter that raises NotImplementedError) ----

    def enable_push(self) -> str | None:
        """The user allows notifications and the app registers for push: the token reaches the SDK.
        Returns the token when the app can tell."""
        raise NotImplementedError(f"{type(self).__name__} does not implement enable_push()")

    def disable_push_in_os(self) -> None:
        """The user turns notifications off in the OS/browser settings (the SDK reports it at the next session)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement disable_push_in_os()")

    def unregister_push(self) -> None:
        """The app calls the SDK's ``unregisterPush()`` (``push/unregister``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement unregister_push()")

    def open_push(self, delivery: Mapping[str, Any] | None = None) -> Any:
        """Receive the pushes sent to this device and tap one (default: the latest): the SDK logs the open (``pc``).
        ``delivery``: one of ``braze.push.outbox(app)`` / a send result's ``deliveries``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement open_push()")

    def __enter__(self) -> Self:
        self.launch()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
