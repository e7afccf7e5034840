"""The dashboard's light reads: the newest rollout in full, and what became of each candidate revision."""

from core.rollouts import outcomes, service
from core.rollouts.vocabulary import RolloutStatus
from tests.core.engine_helpers import SYSTEM, deploy


async def test_the_newest_rollout_and_each_candidates_outcome(core):
    deployment = await deploy(core)
    assert outcomes.latest_rollout(core, SYSTEM, deployment.name) is None
    first = await service.start_rollout(core, SYSTEM, deployment.name, changes={'model': 'gpt-4o'})
    service.act_on_current(core, SYSTEM, deployment.name, 'abort')
    second = await service.start_rollout(core, SYSTEM, deployment.name, changes={'options': {'temperature': 0.3}})
    latest = outcomes.latest_rollout(core, SYSTEM, deployment.id)
    assert (latest.id, latest.status, latest.arms.candidate.executions) == (second.id, RolloutStatus.RUNNING, 0)
    found = outcomes.rollout_outcomes(core, SYSTEM, deployment.name)
    assert {revision: outcome.status for revision, outcome in found.items()} == {
        first.candidate_revision: RolloutStatus.ABORTED, second.candidate_revision: RolloutStatus.RUNNING,
    }  # fmt: skip
    assert found[first.candidate_revision].ended_at is not None and found[second.candidate_revision].ended_at is None
