"""The app keys every vendor module reads: the clock, the seed and the credentials.

Kept apart from :mod:`.clock` and :mod:`.ids` so that the pure state modules never import
aiohttp; only the HTTP adapters and :mod:`.app` do.
"""

from aiohttp import web

from .clock import Clock

CLOCK = web.AppKey("tillroll_sandbox_clock", Clock)
CREDENTIALS = web.AppKey("tillroll_sandbox_credentials", dict)  # name -> value (credentials.with_overrides)
SEED = web.AppKey("tillroll_sandbox_seed", int)
