"""The vendor sandbox: SPOT, SpotOn POS export, Xenial XGL and Spoonity, as documented.

One aiohttp application serves the four APIs at their documented paths on one port. It is
tillroll's default upstream for the demo, tests, notebooks and sample cassettes: no real
credentials, no network, deterministic (same seed and same requests give the same
responses; time comes from a :class:`~tillroll.sandbox.clock.Clock` that tests can move).

Credentials (constants in :mod:`tillroll.sandbox.credentials`, also at ``GET /__sandbox/credentials``):

- SPOT: AccountKey ``ABCD1234``; SecurityID ``6AA3154B-7A6D-4BD4-865A-20EFC9EBC5BB`` (GetToken);
  Login ``example@example.com`` / ``g653chj76j``; the ``ID`` of anonymous ``GET /g`` actions is the
  PublishableID ``C2182AFD-8C48-41BD-A329-FD48F86F0C11``. These are the docs' example environment.
  Any other AccountKey (e.g. ``NOSUCHACCOUNT``) answers 500 "Unable to load account.".
- SpotOn: header ``x-api-key: sandbox-spoton-0f3c9a71``; any ``locationId``.
- Spoonity: query ``api_key=sandbox-spoonity-5d21e8b4``; customer card ``brandin@spoonity.com``.
- XGL: headers ``x-company-id: 65f0a1b2c3d4e5f60718293a`` and ``x-site-ids: 65f0a1b2c3d4e5f60718293b``;
  members John Doe (phone ``1111111111``) and the docs' redacted customer (phone ``9999999999``).

Use::

    from . import FakeClock, make_app, start_sandbox

    with start_sandbox(clock=FakeClock("2024-05-01T12:00:00Z")) as url:
        ...  # url is e.g. http://127.0.0.1:54321

or ``tillroll sandbox`` on the command line. The admin surface (``/__sandbox/clock``,
``/__sandbox/reset``, ``/__sandbox/credentials``) is described in :mod:`tillroll.sandbox.app`.

Started with ``credentials={"SECURITY_ID": ..., "PASSWORD": ..., "SPOTON_API_KEY": ...,
"SPOONITY_API_KEY": ...}`` it accepts those instead of the documented ones (a sandbox whose
secrets a recording never saw); with ``changes=[PlantedChange("GetCustomer", "rename",
"ReturnObject.FirstName", to="GivenName")]`` it answers one operation differently on purpose
(:mod:`tillroll.sandbox.planted`: a field renamed, a type changed, a failure inside a 200).
"""

from .clock import Clock, FakeClock
from .planted import PlantedChange

__all__ = ["Clock", "FakeClock", "PlantedChange", "make_app", "reset_state", "start_sandbox"]


def __getattr__(name: str):
    # Lazy, so that the pure state modules (and their tests) can be imported without aiohttp.
    if name in ("make_app", "reset_state"):
        from . import app

        return getattr(app, name)
    if name == "start_sandbox":
        from .server import start_sandbox

        return start_sandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
