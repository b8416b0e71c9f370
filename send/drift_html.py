"""``tillroll verify --html FILE``: the drift report as one self-contained page, for a CI
artifact. The same report the terminal shows (:class:`~tillroll.send.drift.Report`): what
was compared, each operation that drifted with its changes, and the noise left out. The
caller masks the text (secrets given to ``send`` never reach the file)."""

from __future__ import annotations

from tillroll.htmldoc import document, escape, table

from .drift import Report


def render(report: Report, cassette: str, targets: list[str]) -> str:
    drifted = sum(op.drifted for op in report.drift)
    verdict = (f'<p class="alert" role="alert">⚠ {drifted:,} of {report.compared:,} answer(s) drifted in '
               f'{len(report.drift):,} operation(s)</p>') if report.drift else \
        f"<p>No drift: {report.compared:,} answer(s) compared.</p>"
    facts = table("facts", ["what", "value"], [{"what": "cassette", "value": cassette},
                                                {"what": "sent to", "value": ", ".join(targets)},
                                                {"what": "answers compared", "value": report.compared},
                                                {"what": "answers drifted", "value": drifted}], css="facts")
    summary = table("operations", ["vendor", "operation", "answers", "drifted"],
                    [{"vendor": op.vendor, "operation": op.operation, "answers": op.answers, "drifted": op.drifted}
                     for op in report.drift], caption="Operations that drifted") if report.drift else ""
    details = "".join(
        f"<h3>{escape(op.vendor)} {escape(op.operation)}: {op.drifted:,} of {op.answers:,} answer(s) drifted</h3>"
        + table(f"changes-{i}", ["field", "change", "recorded", "live"],
                [{"field": c.field, "change": c.change, "recorded": c.recorded, "live": c.live} for c in op.changes])
        for i, op in enumerate(report.drift))
    noise = table("noise", ["vendor", "operation", "field", "why"],
                  [{"vendor": n.vendor, "operation": n.operation, "field": n.field, "why": n.why}
                   for n in report.noise],
                  caption="Noise, left out of the comparison (confirm these vary on their own)") \
        if report.noise else ""
    body = (f'<section id="verdict"><h2>Drift</h2>{verdict}{facts}{summary}</section>'
            f'<section id="changes"><h2>Changes</h2>{details or "<p>None.</p>"}</section>'
            f'<section id="noise"><h2>Noise</h2>{noise or "<p>None.</p>"}</section>')
    return document(f"tillroll verify: {cassette}", body,
                    nav=(("verdict", "drift"), ("changes", "changes"), ("noise", "noise")))
