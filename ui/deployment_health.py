"""How a deployment's last 24 hours and its rollout read in the deployments table."""

from core.deployment_health import DeploymentHealth
from core.rollouts.guardrails import milliseconds, percent
from core.rollouts.vocabulary import RolloutStatus


def health_cells(health: DeploymentHealth) -> dict[str, str]:
    """The row's 24 h columns, and its rollout badge ('rolling out 25 %', 'rollout paused at 25 %', or none)."""
    if health.rollout_status == RolloutStatus.PAUSED:
        rollout, color = f'rollout paused at {health.rollout_percent} %', 'warning'
    elif health.rollout_status is not None:
        rollout, color = f'rolling out {health.rollout_percent} %', 'primary'
    else:
        rollout, color = '', ''
    return {
        'runs': f'{health.runs:,}',
        'failureRate': percent(health.failure_rate) if health.failure_rate is not None else '—',
        'p95': milliseconds(health.p95_ms) if health.p95_ms is not None else '—',
        'rollout': rollout,
        'rolloutColor': color,
    }
