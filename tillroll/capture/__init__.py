"""The capture pipeline: a neutral raw exchange in, a decoded, redacted, keyed record out.

Recording, import and replay all go through :func:`capture` (and :func:`capture_keyed`,
which adds the match key replay looks a recording up by). See ARCHITECTURE.md.

The public surface is re-exported here. ``flows`` (mitmproxy flows to raw exchanges)
is imported by name where needed, so that using the pipeline does not import mitmproxy.
"""

from .keys import RedactionKeyError, key_id, load_key
from .match_doc import capture_keyed, key_text, match_document
from .pipeline import DEFAULT_MAX_BODY, capture
from .policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from .raw import RawExchange, RawRequest, RawResponse, header
from .redact import PREFIX, Redactor

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_POLICY", "PREFIX", "Policy", "PolicyError", "RawExchange", "RawRequest",
           "RawResponse", "RedactionKeyError", "Redactor", "capture", "capture_keyed", "header", "key_id",
           "key_text", "load_key", "load_policy", "match_document"]
