"""What the engine tests share: a deployment to run, a run, and waiting for it to finish (`start_worker` is in conftest)."""

from core.deployments import create_deployment
from core.engine.backoff import Backoff
from core.executions import run_deployment
from core.follow import wait_for_execution
from core.permissions import Actor
from core.prompts import create_prompt
from data.tables import Execution

SYSTEM = Actor.system()
FAST = Backoff(base=0.01, cap=0.05)


async def deploy(
    core,
    *,
    provider: str = 'openai',
    model: str = 'gpt-4o-mini',
    options: dict | None = None,
    response_schema: dict | None = None,
    accepts_file: bool = False,
    name: str = 'support-bot',
):
    template = 'You answer support questions briefly.'
    prompt = create_prompt(
        core, SYSTEM, name=f'{name}-prompt', template=template, response_schema=response_schema, accepts_file=accepts_file
    )
    return await create_deployment(core, SYSTEM, name=name, prompt_id=prompt.id, provider=provider, model=model, options=options)


async def run(core, deployment, user_input: str = 'Where is my order?') -> Execution:
    return await run_deployment(core, SYSTEM, deployment.name, user_input=user_input)


def queue_row(core, execution_id: str) -> Execution:
    """The execution's row, with the queue's columns (lease, token) that its view leaves out."""
    with core.session() as session:
        return session.get(Execution, execution_id)


async def finished(core, execution: Execution, timeout: float = 5.0) -> Execution:
    done = await wait_for_execution(core, execution.id, timeout)
    assert done.status in ('completed', 'failed', 'cancelled'), f'still {done.status} after {timeout}s'
    return done
