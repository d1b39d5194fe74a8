"""Heart-rate alert rules: pure functions over one patient's stream of readings (no database).

The stream is the patient's readings ordered by (recorded_at, device_id). Each reading is classed:

- ``tachycardia``: bpm > hr_high; ``bradycardia``: bpm < hr_low (a *breach* of that kind);
- ``recovered``: hr_low + margin < bpm < hr_high - margin (inside the band by the margin);
- neutral: inside the band but within the margin (it breaks runs and counts for nothing).

A *run* is a maximal sequence of consecutive readings of the same class; a silence longer than
``gap_seconds`` (MONITOR_STALE_SECONDS) between two readings ends a run. A run is *sustained* once it
holds ``sustain_readings`` readings (ALERT_SUSTAIN_READINGS) or its first and latest readings lie
``sustain_seconds`` (ALERT_SUSTAIN_SECONDS) or more apart.

The machine walks the stream once:
- a breach of kind K while a K episode is live counts in it (breach_count, last, peak, severity);
- a K run that becomes sustained with no live K episode opens one, from the run's first reading
  (opened_at, first_value) and counting every reading of the run;
- a sustained ``recovered`` run resolves every live episode at the reading that sustains it.

It is causal (what is decided at a reading depends only on the readings before it), which is what
lets the ingest resume from stored state for readings arriving in order and re-decide from the
first affected episode for late ones. A single spike or a flapping stream never builds a sustained
run, so it opens nothing.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from monitoring.choices import CRITICAL_HIGH_FACTOR, CRITICAL_LOW_FACTOR

TACHYCARDIA, BRADYCARDIA, RECOVERED = "tachycardia", "bradycardia", "recovered"
KINDS = (TACHYCARDIA, BRADYCARDIA)
WARNING, CRITICAL = "warning", "critical"


@dataclass(frozen=True, slots=True)
class RuleConfig:
    sustain_seconds: int = 30
    sustain_readings: int = 3
    margin: int = 5
    gap_seconds: int = 300

    @property
    def lookback_seconds(self):
        """How far before a batch the stored readings can still matter: a run in progress that is not
        sustained spans under sustain_seconds and its latest reading lies within gap_seconds."""
        return self.sustain_seconds + self.gap_seconds


def seconds_between(earlier, later):
    """Seconds from one instant to another: datetimes, or integers counting microseconds (the ingest
    passes epoch microseconds: the database hands those over faster than datetimes)."""
    delta = later - earlier
    return delta.total_seconds() if isinstance(delta, timedelta) else delta / 1_000_000


@dataclass(frozen=True, slots=True)
class Sample:
    at: datetime | int
    bpm: int
    device_id: int = 0
    suspect: bool = False


@dataclass(slots=True)
class Episode:
    """One alert as the stream decides it. ``key`` carries a stored alert's id through a resume."""

    kind: str
    opened_at: datetime
    first_value: int
    last_value: int
    peak_value: int
    breach_count: int
    severity: str
    device_id: int
    device_suspect: bool
    last_breach_at: datetime
    resolved_at: datetime | None = None
    key: int | None = None

    def count(self, sample, hr_low, hr_high):
        self.breach_count += 1
        if sample.at >= self.last_breach_at:
            self.last_value, self.last_breach_at, self.device_id = sample.bpm, sample.at, sample.device_id
        higher = self.kind == TACHYCARDIA
        self.peak_value = max(self.peak_value, sample.bpm) if higher else min(self.peak_value, sample.bpm)
        if severity_of(sample.bpm, hr_low, hr_high) == CRITICAL:
            self.severity = CRITICAL


def classify(bpm, hr_low, hr_high, margin):
    if bpm > hr_high:
        return TACHYCARDIA
    if bpm < hr_low:
        return BRADYCARDIA
    if hr_low + margin < bpm < hr_high - margin:
        return RECOVERED
    return None


def severity_of(bpm, hr_low, hr_high):
    """`critical` above hr_high * 1.25 or below hr_low * 0.8, else `warning` (for a breaching bpm)."""
    if bpm > hr_high:
        return CRITICAL if bpm > hr_high * CRITICAL_HIGH_FACTOR else WARNING
    return CRITICAL if bpm < hr_low * CRITICAL_LOW_FACTOR else WARNING


@dataclass(slots=True)
class _Run:
    cls: str | None
    samples: list = field(default_factory=list)

    def sustained(self, config):
        if self.cls is None or not self.samples:
            return False
        span = seconds_between(self.samples[0].at, self.samples[-1].at)
        return len(self.samples) >= config.sustain_readings or span >= config.sustain_seconds


@dataclass(slots=True)
class Result:
    episodes: list  # every episode opened or continued, in the order they opened (live ones last)

    def live(self):
        return [e for e in self.episodes if e.resolved_at is None]


def evaluate(samples, *, hr_low, hr_high, config, live=(), context=(), fences=None):
    """Walk ``samples`` (ordered by time) and answer the episodes they open, continue and resolve.

    ``live``: the episodes live just before the first sample (stored alerts: their counts already
    hold every earlier reading). ``context``: the readings just before the first sample (at least
    ``config.lookback_seconds`` of them): they only rebuild the run in progress and count in nothing,
    except in the episode a run of them goes on to open. ``fences``: {kind: datetime}: readings at
    or before a kind's fence (the latest breach of an alert a user resolved) are neutral for that kind.
    """
    fences = fences or {}
    live_by_kind = {e.kind: replace(e) for e in live}
    episodes = list(live_by_kind.values())
    run = _Run(None)
    previous = None

    def step(sample, counting):
        nonlocal run, previous
        cls = classify(sample.bpm, hr_low, hr_high, config.margin)
        if cls in KINDS and cls in fences and sample.at <= fences[cls]:
            cls = None
        gap = previous is not None and seconds_between(previous.at, sample.at) > config.gap_seconds
        if cls != run.cls or gap:
            run = _Run(cls)
        run.samples.append(sample)
        previous = sample
        if not counting:
            return
        if cls in KINDS:
            episode = live_by_kind.get(cls)
            if episode is not None:
                episode.count(sample, hr_low, hr_high)
            elif run.sustained(config):
                live_by_kind[cls] = episode = _open(cls, run.samples, hr_low, hr_high)
                episodes.append(episode)
        elif cls == RECOVERED and live_by_kind and run.sustained(config):
            for episode in live_by_kind.values():
                episode.resolved_at = sample.at
            live_by_kind.clear()

    for sample in context:
        step(sample, counting=False)
    for sample in samples:
        step(sample, counting=True)
    return Result(episodes)


def _open(kind, run_samples, hr_low, hr_high):
    first = run_samples[0]
    episode = Episode(kind=kind, opened_at=first.at, first_value=first.bpm, last_value=first.bpm,
                      peak_value=first.bpm, breach_count=1, severity=severity_of(first.bpm, hr_low, hr_high),
                      device_id=first.device_id, device_suspect=first.suspect, last_breach_at=first.at)
    for sample in run_samples[1:]:
        episode.count(sample, hr_low, hr_high)
        episode.device_suspect = episode.device_suspect or sample.suspect
    return episode


def sort_key(sample):
    return sample.at, sample.device_id
