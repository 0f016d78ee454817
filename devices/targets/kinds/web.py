"""The `web` kind: the bundled demo web app with the real @braze/web-sdk in Chromium (the default target)."""

from __future__ import annotations

from typing import ClassVar, Literal

from braze_harness.devices.targets.kinds.base import TargetBase


class WebTarget(TargetBase):
    """The bundled demo web app with the real @braze/web-sdk in Chromium (the default)."""

    kind: Literal["web"] = "web"
    platform: ClassVar[str] = "web"
