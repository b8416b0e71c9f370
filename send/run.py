"""One ``tillroll send`` / ``tillroll verify`` run: everything checked before the first
request leaves, then the requests sent, then what came back summed up.

:func:`prepare` reads the cassette, the key and the secrets and refuses — with one
sentence, before anything is sent — a wrong flag, a production URL, a missing or wrong
key, a secret that stands for nothing, a pseudonym nothing stands for, a cassette with
nothing to send and a target that cannot be reached. :func:`run` sends. The click
commands (:mod:`tillroll.send.cli`) only parse, call these and print.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from tillroll import event_loop
from tillroll.capture import RedactionKeyError, Redactor, key_id, load_key
from tillroll.store import CassetteError, open_cassette
from tillroll.store.exchange import Exchange

from .chaining import Binding, find_bindings
from .secrets import Resolution, Secrets, SecretsError, load_secrets, resolve
from .plan import Planned, plan, schedule, slots
from .sender import Outcome, SendSettings, send_all
from .targets import Target, TargetError, parse_targets, production_vendor, target_for


class SendError(Exception):
    """A reason not to send at all; one sentence, no secret in it."""


@dataclass
class Prepared:
    cassette: str
    exchanges: list[Exchange]
    plans: list[Planned]
    bindings: list[Binding]
    secrets: Secrets
    resolution: Resolution
    redactor: Redactor
    settings: SendSettings
    warnings: list[str] = field(default_factory=list)


def prepare(cassette: str, to: tuple[str, ...], *, secrets_file: str | None, key_file: str | None,
            rate: float | None, concurrency: int = 1, allow_pseudonyms: bool = False,
            yes_production: bool = False, timeout: float = 30.0,
            ssl_context: ssl.SSLContext | None = None, environ: dict[str, str] | None = None) -> Prepared:
    try:
        targets = parse_targets(to)
    except TargetError as exc:
        raise SendError(str(exc)) from None
    for target in targets.values():
        vendor = production_vendor(target)
        if vendor is not None and not yes_production:
            raise SendError(f"{target.base} looks like {vendor}'s production API, and sending a POS day there places "
                            "real orders and voids them: point --to at a sandbox or staging URL, or pass "
                            "--yes-production if that is what you mean")
    try:
        exchanges = open_cassette(cassette).exchanges()
    except CassetteError as exc:
        raise SendError(str(exc)) from None
    if not exchanges:
        raise SendError(f"{cassette} holds no requests to send: record some first")
    unrouted = sorted({ex.vendor or "generic" for ex in exchanges if target_for(targets, ex.vendor) is None})
    if unrouted:
        raise SendError(f"no --to for {', '.join(unrouted)}: add --to {unrouted[0]}=URL (or one --to URL for all)")
    try:
        key = load_key(key_file, create=False)
    except RedactionKeyError as exc:
        raise SendError(f"{exc} (the key {cassette} was recorded with restores its pseudonyms)") from None
    recorded_ids = sorted({ex.redaction_key_id for ex in exchanges if ex.redaction_key_id})
    if recorded_ids and key_id(key) not in recorded_ids:
        raise SendError(f"the redaction key given (id {key_id(key)}) is not the one {cassette} was recorded with "
                        f"(id {', '.join(recorded_ids)}): pass that key with --key-file")
    redactor = Redactor(key)
    try:
        secrets = load_secrets(secrets_file, environ)
    except SecretsError as exc:
        raise SendError(str(exc)) from None
    plans = plan(exchanges)
    bindings = find_bindings(plans)
    needed = [slot for p in plans for slot in slots(p.exchange)]
    resolution = resolve(needed, secrets, redactor, {b.recorded for b in bindings if b.keyed})
    if resolution.unused:
        raise SendError(f"secret {', '.join(resolution.unused)} stands for no pseudonym in {cassette} (neither its "
                        "value's digest under the cassette's key nor a field of that name): remove it, or check "
                        "the name and the key; nothing was sent")
    warnings = []
    if resolution.unexplained:
        listed = ", ".join(f"{'/'.join(sorted(fields))} ({token})"
                           for token, fields in sorted(resolution.unexplained.items()))
        if not allow_pseudonyms:
            raise SendError(f"no value for {len(resolution.unexplained)} pseudonym(s); nothing was sent. Give them "
                            f"in --secrets FILE (name = \"value\") or TILLROLL_SECRET_<NAME>, or send them as they "
                            f"are with --allow-pseudonyms: {listed}")
        warnings.append(f"sending {len(resolution.unexplained)} pseudonym(s) as they are: {listed}")
    settings = SendSettings(targets, schedule(plans, rate), concurrency, timeout, ssl_context=ssl_context)
    return Prepared(cassette, exchanges, plans, bindings, secrets, resolution, redactor, settings, warnings)


def check_reachable(prepared: Prepared, timeout: float = 5.0) -> None:
    """Raise :class:`SendError` when a target does not accept a connection (or, for https,
    a TLS handshake): better one clear line than a day of failed requests."""
    used = {target_for(prepared.settings.targets, p.exchange.vendor) for p in prepared.plans}
    for target in sorted(used, key=lambda t: t.base):
        problem = event_loop.run(_connect(target, prepared.settings.ssl_context, timeout))
        if problem:
            raise SendError(prepared.secrets.mask(f"cannot reach {target.base} ({problem}): nothing was sent"))


async def _connect(target: Target, context: ssl.SSLContext | None, timeout: float) -> str | None:
    tls = (context or ssl.create_default_context()) if target.scheme == "https" else None
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port, ssl=tls, server_hostname=target.host if tls else None),
            timeout)
    except asyncio.TimeoutError:
        return f"no connection within {timeout:g} s"
    except ssl.SSLError as exc:
        return f"the TLS handshake failed: {exc.reason or type(exc).__name__}"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, ssl.SSLError):
        pass
    return None


def run(prepared: Prepared, on_answer: Callable[[Outcome], None]) -> tuple[list[Outcome], float]:
    """Send every planned request; the answers in recorded order, and the seconds it took."""
    outcomes: dict[int, Outcome] = {}

    def answered(outcome: Outcome) -> None:
        outcomes[outcome.planned.index] = outcome
        on_answer(outcome)

    seconds = event_loop.run(send_all(prepared.plans, prepared.settings, prepared.secrets, prepared.resolution,
                                   prepared.bindings, prepared.redactor, answered))
    return [outcomes[i] for i in sorted(outcomes)], seconds


def explain(prepared: Prepared) -> list[str]:
    """Every binding and every secret's use, one line each (names and pseudonyms only)."""
    plans = prepared.plans
    lines = [f"{len(prepared.bindings)} binding(s) found in the cassette:"]
    for b in prepared.bindings:
        kind = f"pseudonym digest {b.recorded}" if b.keyed else f"value {b.recorded!r}"
        users = ", ".join(f"#{u}" for u in b.users)
        lines.append(f"  #{b.source} {plans[b.source].label} answers {b.where} ({kind}); carried by {users}")
    lines.append(f"{len(prepared.resolution.how)} secret(s) used:")
    for name, how in prepared.resolution.how.items():
        tokens = sorted(t for t, n in prepared.resolution.by_token.items() if n == name)
        fields = sorted(f for f, n in prepared.resolution.by_field.items() if n == name)
        lines.append(f"  {name}: {how} -> {', '.join(tokens + [f'tillroll:dropped in {f}' for f in fields])}")
    return lines


def summary(outcomes: list[Outcome], seconds: float) -> list[str]:
    """Per operation: how many were sent, the live statuses and outcomes, and the recorded ones."""
    rows: dict[str, tuple[Counter, Counter, Counter]] = {}
    missing = []
    for o in outcomes:
        live, rec = o.live, o.planned.exchange
        statuses, outcomes_, recorded = rows.setdefault(o.planned.label, (Counter(), Counter(), Counter()))
        statuses[str(live.status) if live.status is not None else "no answer"] += 1
        outcomes_[live.outcome] += 1
        recorded[rec.outcome] += 1
        missing += [f"#{o.planned.index} {o.planned.label} lacks {b.where}" for b in o.missing]
    width = max((len(label) for label in rows), default=9)
    lines = [f"sent {len(outcomes)} request(s) in {seconds:.2f} s"
             + (f" ({len(outcomes) / seconds:.0f}/s)" if seconds > 0 else ""),
             f"  {'operation':<{width}}  {'sent':>4}  {'status':<14}  {'outcome live':<20}  outcome recorded"]
    for label, (statuses, live, recorded) in rows.items():
        lines.append(f"  {label:<{width}}  {sum(statuses.values()):>4}  {_counts(statuses):<14}  "
                     f"{_counts(live):<20}  {_counts(recorded)}")
    unanswered = [o for o in outcomes if o.live.status is None]
    if unanswered:
        first = unanswered[0]
        lines.append(f"{len(unanswered)} request(s) got no answer, the first #{first.planned.index} "
                     f"{first.planned.label}: {first.live.error}")
    if missing:
        lines.append("answers without a value later requests needed (those carried the recorded value): "
                     + "; ".join(missing))
    return lines


def _counts(counter: Counter) -> str:
    return " ".join(f"{k}×{v}" for k, v in sorted(counter.items()))
