"""The emulator's stateful model: workspaces -> apps -> profiles, fed by decoded SDK requests.

Pure Python, no HTTP. `EmulatorState` (store.py) is the facade and holds the one lock; the other
modules are lock-free helpers named after what they hold.
"""

from braze_harness.emulator.state.profiles import Profile, profile_view
from braze_harness.emulator.state.store import DEFAULT_WORKSPACE, EmulatorState, UnknownApiKey
from braze_harness.emulator.state.workspaces import App

__all__ = ["DEFAULT_WORKSPACE", "App", "EmulatorState", "Profile", "UnknownApiKey", "profile_view"]
