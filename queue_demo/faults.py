"""Test-only crash points: a process told `QUEUE_DEMO_CRASH_AFTER=<point>` SIGKILLs itself there.

Chaos tests use them so a kill lands exactly between two steps (say, after commit, before XACK).
"""

from __future__ import annotations

import os
import signal

from queue_demo.settings import CrashPoint, QueueSettings


class CrashPoints:
    def __init__(self, settings: QueueSettings) -> None:
        self.armed: CrashPoint = settings.crash_after
        self.remaining = settings.crash_on_hit

    def reached(self, point: CrashPoint) -> None:
        """Die here, as `kill -9` would, if this is the armed point and its hit count is up."""
        if point != self.armed:
            return
        self.remaining -= 1
        if self.remaining == 0:
            os.kill(os.getpid(), signal.SIGKILL)
