"""Rollouts on a real database with the real worker: assignment in the run path, stages, promotion, roll-back, pause."""

import asyncio

import pytest

from core import deployments, metrics
from core.app import build_core
from core.errors import Conflict, Forbidden, Invalid
from core.executions import run_deployment
from core.permissions import Actor
from core.rollouts import service
from core.rollouts.guardrails import ArmFigures, Guardrails, check
from core.rollouts.records import EVENT_KIND
from core.rollouts.vocabulary import Arm, RolloutStatus
from tests.core.engine_helpers import SYSTEM, deploy, finished

VIEWER = Actor.user('viewer-id', 'viewer@example.com', 'viewer')


ROLLBACK_LAG_RUNS = 6


def first_regression(ran: list[Arm]) -> int:
    """How many of these runs (every candidate run failing, every stable one completing) the failure-rate guardrail
    needs before it declares a regression."""
    for seen in range(1, len(ran) + 1):
        stable, candidate = ran[:seen].count(Arm.STABLE), ran[:seen].count(Arm.CANDIDATE)
        arms = {'stable': ArmFigures(stable, 0), 'candidate': ArmFigures(candidate, candidate)}
        if check(Guardrails(), **arms).regression is not None:
            return seen
    return len(ran) + 1


async def start(core, deployment, **settings):
    changes = settings.pop('changes', {'model': 'gpt-4o'})
    return await service.start_rollout(core, SYSTEM, deployment.name, changes=changes, settings=settings)


async def run_one(core, deployment, trace_id: str | None = None):
    return await run_deployment(core, SYSTEM, deployment.name, user_input='Where is my order?', trace_id=trace_id)


def current(core, deployment):
    return service.current_rollout(core, SYSTEM, deployment.name)


async def test_one_trace_id_meets_one_arm_in_50_runs_and_each_run_records_its_revision(core):
    deployment = await deploy(core)
    rollout = await start(core, deployment, stages=[50, 100])
    runs = [await run_one(core, deployment, 'customer-42') for _ in range(50)]
    assert len({run.arm for run in runs}) == 1
    revision = rollout.candidate_revision if runs[0].arm == Arm.CANDIDATE else rollout.stable_revision
    model = 'gpt-4o' if runs[0].arm == Arm.CANDIDATE else 'gpt-4o-mini'
    assert {(run.rollout_id, run.revision, run.model) for run in runs} == {(rollout.id, revision, model)}


async def test_over_2000_trace_ids_at_20_percent_the_candidate_share_is_within_the_binomial_999_interval(core):
    deployment = await deploy(core)
    await start(core, deployment, stages=[20, 100])
    runs = [await run_one(core, deployment, f'trace-{number}') for number in range(2000)]
    candidate = sum(run.arm == Arm.CANDIDATE for run in runs)
    # mean 400, standard deviation sqrt(2000 * 0.2 * 0.8) = 17.9; z = 3.29 for 99.9 % two-sided
    assert 400 - 59 <= candidate <= 400 + 59
    assert {run.model for run in runs if run.arm == Arm.CANDIDATE} == {'gpt-4o'}
    # each arm's figures over time, as the rollout panel charts them
    rollout = current(core, deployment)
    for arm, expected in ((Arm.CANDIDATE, candidate), (Arm.STABLE, 2000 - candidate)):
        figures = metrics.deployment_metrics(core, SYSTEM, deployment.name, rollout_id=rollout.id, arm=arm)
        assert figures.totals.executions == sum(bucket.executions for bucket in figures.buckets) == expected


async def test_a_healthy_candidate_goes_through_every_stage_and_is_promoted(core, fake_llm, start_worker):
    deployment = await deploy(core)
    rollout = await start(core, deployment, stages=[20, 50, 100], stageMinutes=0, minSamples=3)
    await start_worker()
    for number in range(300):
        await finished(core, await run_one(core, deployment, f'trace-{number}'))
        if not service.list_rollouts(core, SYSTEM, deployment.name)[0].status.active:
            break
    [done] = service.list_rollouts(core, SYSTEM, deployment.name)
    assert done.status == RolloutStatus.PROMOTED
    assert [(entry.status, entry.percent) for entry in done.history] == [
        (RolloutStatus.RUNNING, 20), (RolloutStatus.RUNNING, 50), (RolloutStatus.PROMOTED, 100),
    ]  # fmt: skip
    assert [entry.by for entry in done.history[1:]] == ['stages', 'stages']
    promoted = deployments.get_deployment(core, SYSTEM, deployment.name)
    assert (promoted.revision, promoted.model) == (rollout.candidate_revision, 'gpt-4o')
    later = await finished(core, await run_one(core, deployment, 'trace-after'))
    served = (later.revision, later.model, later.rollout_id, later.status)
    assert served == (rollout.candidate_revision, 'gpt-4o', None, 'completed')


async def test_an_always_failing_candidate_is_rolled_back_once_the_guardrail_can_tell_then_stable_serves_all(
    core, fake_llm, start_worker
):
    fake_llm.fail_model('gpt-4o', 400)  # not retried: each candidate run fails at once
    deployment = await deploy(core)
    rollout = await start(core, deployment, stages=[50, 100], minSamples=1000)
    await start_worker()
    ran: list[Arm] = []  # each run's arm, in the order they finished
    for number in range(200):
        ran.append((await finished(core, await run_one(core, deployment, f'trace-{number}'))).arm)
        if not service.list_rollouts(core, SYSTEM, deployment.name)[0].status.active:
            break
    [done] = service.list_rollouts(core, SYSTEM, deployment.name)
    assert done.status == RolloutStatus.ROLLED_BACK
    assert done.arms.candidate.failed == done.arms.candidate.executions == ran.count(Arm.CANDIDATE)
    # the bound: the verdict comes once the guardrail's own arithmetic can declare the regression on the runs finished
    # so far (about the candidate's 15th failure on a balanced split; later when the random split gave stable fewer
    # runs), give or take the lag of a worker's evaluation: it follows the outcome's write, and is paced (Pacing)
    assert len(ran) <= first_regression(ran) + ROLLBACK_LAG_RUNS
    assert done.arms.stable.failed == 0
    assert 'Candidate fails 100 % of runs vs 0 % on stable' in done.reason and 'rolled back at' in done.reason
    assert done.history[-1].by == 'guardrails'
    stable = deployments.get_deployment(core, SYSTEM, deployment.name)
    assert (stable.revision, stable.model) == (rollout.stable_revision, 'gpt-4o-mini')
    after = [await finished(core, await run_one(core, deployment, f'trace-{number}')) for number in range(20)]
    served = {(run.revision, run.model, run.arm, run.status) for run in after}
    assert served == {(rollout.stable_revision, 'gpt-4o-mini', None, 'completed')}


async def test_a_ten_times_slower_candidate_trips_the_p95_guardrail_and_pauses(core, fake_llm, start_worker):
    fake_llm.latency = 0.01
    fake_llm.slow_model('gpt-4o', 0.2)
    deployment = await deploy(core)
    guardrails = {'p95LatencyMs': 50}
    await start(core, deployment, stages=[10, 100], minSamples=10_000, guardrails=guardrails, onRegression='pause')
    await start_worker()
    for _ in range(60):  # batches of 8 (the provider's concurrency): the candidate needs stable's p95 bounded first
        runs = [await run_one(core, deployment) for _ in range(8)]
        await asyncio.gather(*(finished(core, run) for run in runs))
        if current(core, deployment).status == RolloutStatus.PAUSED:
            break
    paused = current(core, deployment)
    assert paused.status == RolloutStatus.PAUSED and paused.percent == 10
    assert "Candidate's p95 latency" in paused.reason and 'paused at' in paused.reason
    assert paused.arms.candidate.p95_ms > paused.arms.stable.p95_ms + 50


async def test_the_failure_guardrail_alone_ignores_a_slower_candidate(core, fake_llm, start_worker):
    fake_llm.slow_model('gpt-4o', 0.05)
    deployment = await deploy(core)
    await start(core, deployment, stages=[50, 100], minSamples=10_000)
    await start_worker()
    runs = [await run_one(core, deployment, f'trace-{number}') for number in range(40)]
    await asyncio.gather(*(finished(core, run) for run in runs))
    assert current(core, deployment).status == RolloutStatus.RUNNING


async def test_a_second_rollout_while_one_is_active_is_a_conflict_and_writes_nothing(core):
    deployment = await deploy(core)
    await start(core, deployment)
    with pytest.raises(Conflict, match='already has a rollout'):
        await start(core, deployment, changes={'model': 'gpt-4o', 'options': {'temperature': 0.5}})
    assert len(service.list_rollouts(core, SYSTEM, deployment.name)) == 1
    assert len(deployments.list_revisions(core, SYSTEM, deployment.name)) == 2


async def test_a_candidate_equal_to_stable_is_invalid(core):
    deployment = await deploy(core)
    with pytest.raises(Invalid) as raised:
        await start(core, deployment, changes={'model': 'gpt-4o-mini'})
    assert raised.value.field == 'changes'
    assert service.list_rollouts(core, SYSTEM, deployment.name) == []


async def test_edits_and_rollbacks_wait_while_a_rollout_runs(core):
    deployment = await deploy(core)
    await start(core, deployment)
    with pytest.raises(Conflict, match='rollout under way'):
        await deployments.update_deployment(core, SYSTEM, deployment.name, changes={'model': 'gpt-4o'})
    with pytest.raises(Conflict, match='rollout under way'):
        await deployments.rollback_deployment(core, SYSTEM, deployment.name, revision=1)


async def test_after_an_abort_the_next_edit_takes_the_revision_after_the_candidates(core):
    deployment = await deploy(core)
    rollout = await start(core, deployment)
    aborted = await asyncio.to_thread(service.act_on_current, core, SYSTEM, deployment.name, 'abort')
    assert (aborted.status, aborted.percent, aborted.ended_at is not None) == (RolloutStatus.ABORTED, 0, True)
    edited = await deployments.update_deployment(core, SYSTEM, deployment.name, changes={'options': {'temperature': 0.2}})
    assert edited.revision == rollout.candidate_revision + 1


async def test_person_actions_move_the_rollout_and_a_wrong_one_is_a_conflict(core):
    deployment = await deploy(core)
    rollout = await start(core, deployment)

    def act(action):
        return service.act_on_current(core, SYSTEM, deployment.name, action)

    with pytest.raises(Conflict, match='running cannot resume'):
        await asyncio.to_thread(act, 'resume')
    assert (await asyncio.to_thread(act, 'pause')).status == RolloutStatus.PAUSED
    with pytest.raises(Conflict, match='paused cannot pause'):
        await asyncio.to_thread(act, 'pause')
    assert (await asyncio.to_thread(act, 'resume')).status == RolloutStatus.RUNNING
    promoted = await asyncio.to_thread(act, 'promote')
    assert (promoted.status, promoted.history[-1].by) == (RolloutStatus.PROMOTED, 'system')
    assert deployments.get_deployment(core, SYSTEM, deployment.name).revision == rollout.candidate_revision
    with pytest.raises(Conflict, match='no rollout under way'):
        await asyncio.to_thread(act, 'abort')


async def test_viewers_read_rollouts_but_cannot_start_or_act(core):
    deployment = await deploy(core)
    with pytest.raises(Forbidden):
        await service.start_rollout(core, VIEWER, deployment.name, changes={'model': 'gpt-4o'})
    await start(core, deployment)
    assert service.current_rollout(core, VIEWER, deployment.name).status == RolloutStatus.RUNNING
    with pytest.raises(Forbidden):
        await asyncio.to_thread(service.act_on_current, core, VIEWER, deployment.name, 'promote')


async def test_each_change_of_status_is_published_on_the_bus(core):
    deployment = await deploy(core)
    async with core.bus.subscribe(kinds=frozenset({EVENT_KIND})) as events:
        rollout = await start(core, deployment)
        await asyncio.to_thread(service.act_on_current, core, SYSTEM, deployment.name, 'pause')
        await asyncio.to_thread(service.act_on_current, core, SYSTEM, deployment.name, 'abort')
        seen = [await events.get(timeout=2) for _ in range(3)]
    assert [(event.execution_id, event.data['status'], event.data['deployment']) for event in seen] == [
        (rollout.id, status, deployment.name) for status in ('running', 'paused', 'aborted')
    ]


async def test_a_restart_in_the_middle_of_a_rollout_loses_nothing(core, settings, fake_llm, start_worker):
    deployment = await deploy(core)
    await start(core, deployment, stages=[10, 50, 100], stageMinutes=0, minSamples=2)
    worker = await start_worker()
    for number in range(300):
        await finished(core, await run_one(core, deployment, f'trace-{number}'))
        if current(core, deployment).stage == 1:  # the first stage has ended: there is a stage to keep
            break
    await worker.stop()
    traces = [f'again-{number}' for number in range(20)]
    arms = [(await run_one(core, deployment, trace_id)).arm for trace_id in traces]
    before = current(core, deployment)
    assert before.stage == 1 and set(arms) == {Arm.STABLE, Arm.CANDIDATE}

    restarted = build_core(settings, migrate=False)
    try:
        after = service.current_rollout(restarted, SYSTEM, deployment.name)
        kept = (after.stage, after.percent, after.arms, after.history, after.stage_minutes)
        assert kept == (before.stage, before.percent, before.arms, before.history, before.stage_minutes)
        again = [await run_deployment(restarted, SYSTEM, deployment.name, user_input='again', trace_id=t) for t in traces]
        assert [run.arm for run in again] == arms
    finally:
        restarted.db.dispose()
