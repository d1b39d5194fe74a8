"""The alert rules on synthetic streams: no database."""

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.rules import RuleConfig, Sample, evaluate

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CONFIG = RuleConfig(sustain_seconds=30, sustain_readings=3, margin=5, gap_seconds=300)


def stream(bpms, step=1, start=T0, device=1, suspect=False):
    return [Sample(start + timedelta(seconds=i * step), bpm, device, suspect) for i, bpm in enumerate(bpms)]


def run(samples, **kwargs):
    return evaluate(samples, hr_low=50, hr_high=120, config=CONFIG, **kwargs).episodes


def test_a_single_spike_opens_nothing():
    assert run(stream([70, 70, 180, 70, 70])) == []


def test_two_breaches_close_together_are_not_sustained():
    assert run(stream([70, 130, 130, 70])) == []


def test_a_flapping_stream_opens_nothing():
    assert run(stream([130, 70] * 50)) == []
    assert run(stream([130, 45] * 50)) == []  # alternating kinds never build one run either


def test_three_consecutive_breaches_open_one_alert_from_the_first():
    [episode] = run(stream([70, 130, 125, 140, 70]))
    assert (episode.kind, episode.opened_at, episode.first_value, episode.last_value, episode.peak_value,
            episode.breach_count, episode.severity, episode.resolved_at) == (
        "tachycardia", T0 + timedelta(seconds=1), 130, 140, 140, 3, "warning", None)


def test_two_breaches_thirty_seconds_apart_are_sustained_by_time():
    [episode] = run(stream([130, 131], step=30))
    assert episode.breach_count == 2 and episode.opened_at == T0
    assert run(stream([130, 131], step=29)) == []


def test_a_silence_longer_than_the_gap_breaks_a_run():
    samples = stream([130, 130], step=1) + stream([130], start=T0 + timedelta(seconds=302))
    assert run(samples) == []


def test_severity_is_critical_beyond_the_wider_band_and_stays_critical():
    [episode] = run(stream([130, 160, 125, 125]))
    assert (episode.severity, episode.peak_value, episode.last_value, episode.breach_count) == (
        "critical", 160, 125, 4)
    [brady] = run(stream([45, 39, 48]))
    assert (brady.kind, brady.severity, brady.peak_value) == ("bradycardia", "critical", 39)


def test_breaches_while_live_update_it_without_a_new_run():
    [episode] = run(stream([130, 130, 130, 70, 150, 70]))
    assert (episode.breach_count, episode.peak_value, episode.last_value) == (4, 150, 150)


def test_recovery_needs_a_sustained_run_inside_the_band_by_the_margin():
    # 116 and 54 are inside the band but within 5 bpm of it: they do not count as recovered.
    [episode] = run(stream([130, 130, 130, 116, 116, 116, 116, 54, 54, 54]))
    assert episode.resolved_at is None
    [episode] = run(stream([130, 130, 130, 110, 110, 110]))
    assert episode.resolved_at == T0 + timedelta(seconds=5)
    # Two recovered readings 30 s apart resolve too (the time rule).
    [episode] = run(stream([130, 130, 130]) + stream([80, 80], step=30, start=T0 + timedelta(seconds=3)))
    assert episode.resolved_at == T0 + timedelta(seconds=33)


def test_a_flapping_recovery_does_not_resolve():
    [episode] = run(stream([130, 130, 130] + [80, 130] * 20))
    assert episode.resolved_at is None and episode.breach_count == 23


def test_a_re_breach_after_resolution_opens_a_new_alert():
    first, second = run(stream([130, 130, 130, 80, 80, 80, 135, 135, 135]))
    assert first.resolved_at == T0 + timedelta(seconds=5)
    assert (second.opened_at, second.first_value, second.resolved_at) == (T0 + timedelta(seconds=6), 135, None)


def test_one_recovery_resolves_both_kinds():
    tachy, brady = run(stream([130, 130, 130, 45, 45, 45, 80, 80, 80]))
    assert (tachy.kind, brady.kind) == ("tachycardia", "bradycardia")
    assert tachy.resolved_at == brady.resolved_at == T0 + timedelta(seconds=8)


def test_suspect_readings_in_the_opening_run_mark_the_alert():
    samples = stream([130]) + stream([130], start=T0 + timedelta(seconds=1), suspect=True) + stream(
        [130], start=T0 + timedelta(seconds=2))
    [episode] = run(samples)
    assert episode.device_suspect is True
    [clean] = run(stream([130, 130, 130]))
    assert clean.device_suspect is False


def test_context_rebuilds_the_run_in_progress_without_counting_it():
    context, new = stream([70, 130, 130]), stream([130], start=T0 + timedelta(seconds=3))
    [episode] = run(new, context=context)
    assert (episode.opened_at, episode.breach_count) == (T0 + timedelta(seconds=1), 3)
    assert run(new, context=stream([70, 70, 130])) == []


def test_a_live_episode_goes_on_counting_and_resolves():
    [live] = run(stream([130, 130, 130]))
    [episode] = run(stream([140, 80, 80, 80], start=T0 + timedelta(seconds=3)), live=[live])
    assert (episode.breach_count, episode.peak_value, episode.resolved_at) == (4, 140, T0 + timedelta(seconds=6))
    assert live.breach_count == 3  # the caller's episode is not modified


def test_a_fence_keeps_readings_of_a_user_resolved_alert_out_of_new_ones():
    samples = stream([130] * 6)
    assert run(samples, fences={"tachycardia": T0 + timedelta(seconds=3)}) == []
    [episode] = run(samples, fences={"tachycardia": T0 + timedelta(seconds=2)})
    assert episode.opened_at == T0 + timedelta(seconds=3)


@pytest.mark.parametrize("sustain_readings, opens", [(3, True), (4, False)])
def test_the_number_of_readings_is_configurable(sustain_readings, opens):
    config = RuleConfig(sustain_seconds=3600, sustain_readings=sustain_readings, margin=5, gap_seconds=300)
    episodes = evaluate(stream([130, 130, 130]), hr_low=50, hr_high=120, config=config).episodes
    assert bool(episodes) is opens
