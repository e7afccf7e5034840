"""The deployments table's figures: each deployment's last 24 h from its rows, and the share of a rollout under way."""

from datetime import UTC, datetime, timedelta

from core.deployment_health import DeploymentHealth, deployment_health
from core.rollouts import service
from tests.core.engine_helpers import SYSTEM, deploy, finished, run


async def test_calls_failure_rate_and_p95_match_the_rows_and_a_rollout_shows_its_percent(core, fake_llm, start_worker):
    fake_llm.fail_model('gpt-4o', 400)
    busy, quiet = await deploy(core, name='busy'), await deploy(core, name='quiet')
    failing = await deploy(core, name='failing', model='gpt-4o')
    await start_worker()
    done = [await finished(core, await run(core, busy)) for _ in range(5)]
    [await finished(core, await run(core, failing)) for _ in range(3)]
    await service.start_rollout(core, SYSTEM, 'quiet', changes={'model': 'gpt-4o'}, settings={'stages': [25, 100]})
    health = deployment_health(core, SYSTEM, [busy.id, failing.id, quiet.id])
    durations = sorted(execution.duration_ms for execution in done)
    assert health[busy.id] == DeploymentHealth(runs=5, failure_rate=0.0, p95_ms=float(durations[4]))  # rank 5 of 5
    assert (health[failing.id].runs, health[failing.id].failure_rate, health[failing.id].p95_ms) == (3, 1.0, None)
    assert health[quiet.id] == DeploymentHealth(rollout_percent=25, rollout_status='running')
    tomorrow = datetime.now(UTC) + timedelta(hours=25)
    assert busy.id not in deployment_health(core, SYSTEM, [busy.id], now=tomorrow)
