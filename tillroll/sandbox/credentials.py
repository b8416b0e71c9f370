"""The sandbox's credentials: fixed, public, and good only against the sandbox.

The SPOT values are the ones in the example environment of SPOT's Postman collection, so
the documented examples work as printed. The others are sandbox inventions (the vendors'
docs only show placeholders).
"""

# SPOT (XplorSPOT): POST /f /q /r /k, GET /g
ACCOUNT_KEY = "ABCD1234"
SECURITY_ID = "6AA3154B-7A6D-4BD4-865A-20EFC9EBC5BB"
PUBLISHABLE_ID = "C2182AFD-8C48-41BD-A329-FD48F86F0C11"  # the ``ID`` of anonymous GET actions
USERNAME = "example@example.com"
PASSWORD = "g653chj76j"
#: Any AccountKey other than ACCOUNT_KEY answers 500 "Unable to load account."; this one
#: is named so that demos and tests can ask for that failure on purpose.
BROKEN_ACCOUNT_KEY = "NOSUCHACCOUNT"

# SpotOn POS export: header ``x-api-key``
SPOTON_API_KEY = "sandbox-spoton-0f3c9a71"

# Spoonity order API: query parameter ``api_key`` (one store)
SPOONITY_API_KEY = "sandbox-spoonity-5d21e8b4"
SPOONITY_CARD = "brandin@spoonity.com"

# Xenial XGL: headers ``x-company-id`` and ``x-site-ids`` (comma-separated)
XGL_COMPANY_ID = "65f0a1b2c3d4e5f60718293a"
XGL_SITE_IDS = "65f0a1b2c3d4e5f60718293b"


def as_dict() -> dict[str, str]:
    """Every credential by name (for the CLI banner and ``GET /__sandbox/credentials``)."""
    return {name: value for name, value in globals().items() if name.isupper() and isinstance(value, str)}


#: The credentials a sandbox can be started with other values of (``make_app(credentials=…)``),
#: so that a test can prove a client sends values it was given rather than the ones above.
ROTATABLE = ("SECURITY_ID", "PASSWORD", "SPOTON_API_KEY", "SPOONITY_API_KEY")


def with_overrides(overrides: dict[str, str] | None) -> dict[str, str]:
    """:func:`as_dict` with *overrides* applied; only :data:`ROTATABLE` names may change."""
    values = as_dict()
    unknown = sorted(set(overrides or {}) - set(ROTATABLE))
    if unknown:
        raise ValueError(f"credentials {unknown} cannot be changed; these can: {', '.join(ROTATABLE)}")
    values.update(overrides or {})
    return values
