"""What an alert says: who, which run, which step, why in one scrubbed line, and a link."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from upflux_etl.extract.scrub import scrub_values

MAX_REASON = 200


def scrub(reason: str) -> str:
    """One line, at most 200 characters, without credentials or values (`scrub_values`)."""
    line = next((part.strip() for part in scrub_values(reason).splitlines() if part.strip()), "")
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


@dataclass(frozen=True)
class Alert:
    """One alert: no personal data, no secrets (the reason is scrubbed when it is built).

    Attributes:
        kind: 'run_failure' or 'health_red'.
        client: the hospital's slug.
        run_id: the Dagster run.
        step: the failing step (asset), or '' when the run failed before any step.
        reason: a scrubbed one-line reason.
        link: the run in the Dagster UI.
    """

    kind: str
    client: str
    run_id: str
    step: str
    reason: str
    link: str

    @classmethod
    def build(
        cls, kind: str, client: str, run_id: str, step: str, reason: str, ui_url: str
    ) -> Alert:
        """An alert whose reason is scrubbed and whose link points at the run."""
        return cls(kind, client, run_id, step, scrub(reason), f"{ui_url}/runs/{run_id}")

    @property
    def subject(self) -> str:
        """The e-mail subject."""
        what = "load failed" if self.kind == "run_failure" else "health is red"
        return f"[UpFlux] {self.client}: {what}"

    def text(self) -> str:
        """The e-mail body."""
        return "\n".join(
            [
                f"Hospital: {self.client}",
                f"Run: {self.run_id}",
                f"Step: {self.step or '-'}",
                f"Reason: {self.reason}",
                f"Link: {self.link}",
            ]
        )

    def payload(self) -> dict[str, str]:
        """The webhook's JSON body."""
        return {**asdict(self), "subject": self.subject}
