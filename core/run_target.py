"""What a run runs: the deployment (by id or name) with the prompt version it uses, and the file it may take.

Under an active rollout the same read also brings the rollout (its id, the candidate's share and configuration), and a
run the assignment sends to the candidate reads the candidate's prompt version in one more statement (`serve`).
"""

import random
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from core.errors import Invalid, NotFound
from core.providers.registry import ProviderRegistry
from core.refs import looks_like_uuid
from core.rollouts.assignment import choose_arm
from data.tables import ACTIVE_ROLLOUT, Arm, Deployment, Prompt, PromptVersion, Rollout, StoredFile


def find_target(connection: sa.Connection, ref: str) -> sa.Row:
    """The deployment's run configuration and its prompt version's content, in one read; NotFound otherwise."""
    target = connection.execute(_RUN_TARGET[looks_like_uuid(ref)], {'ref': ref}).one_or_none()
    if target is None:
        raise NotFound(f'no deployment {ref!r}')
    if target.version is None:  # versions are immutable and a used prompt cannot be deleted: only a damaged database
        raise NotFound(f'deployment {target.name!r} points at a prompt version that does not exist')
    return target


def serve(connection: sa.Connection, target: sa.Row, trace_id: str | None, rng: random.Random | None = None) -> Any:
    """The target with the arm that serves this run: unchanged (arm None) without a rollout; else the stable arm, or
    the candidate's revision, configuration and prompt version (sticky by trace id, core.rollouts.assignment)."""
    if target.rollout_id is None:
        return target, None
    arm = choose_arm(rollout_id=target.rollout_id, trace_id=trace_id, percent=target.rollout_percent, rng=rng)
    if arm == Arm.STABLE:
        return target, arm
    config = target.rollout_candidate
    version = connection.execute(_CANDIDATE_VERSION, {'prompt_id': config['promptId'], 'version': config['promptVersion']})
    version = version.one_or_none()
    if version is None:  # versions are immutable and a used prompt cannot be deleted: only a damaged database
        raise NotFound(f'the rollout of {target.name!r} points at a prompt version that does not exist')
    candidate = {
        'revision': target.rollout_candidate_revision, 'prompt_id': config['promptId'], 'provider': config['provider'],
        'model': config['model'], 'options': config['options'], **version._asdict(),
    }  # fmt: skip
    return SimpleNamespace(**{**target._asdict(), **candidate}), arm


def check_file(connection: sa.Connection, registry: ProviderRegistry, target: sa.Row, file_id: str | None) -> None:
    """The file a run names must exist, be wanted by the prompt, and be of a type the provider takes."""
    if file_id is None:
        if target.accepts_file:
            raise Invalid('fileId', f'deployment {target.name!r} needs a file: upload one and pass its id')
        return
    if not target.accepts_file:
        raise Invalid('fileId', f'deployment {target.name!r} does not accept a file')
    files = StoredFile.__table__
    found = sa.select(files.c.content_type).where(files.c.id == file_id)
    content_type = connection.execute(found).scalar_one_or_none() if looks_like_uuid(file_id) else None
    if content_type is None:
        raise Invalid('fileId', f'no file {file_id!r}')
    content_type = content_type.split(';')[0].strip().lower()
    if content_type not in registry.file_types(target.provider):
        raise Invalid('fileId', f'{target.provider} does not accept {content_type} files')


def _run_target(by_id: bool) -> sa.Select:
    """The deployment (by id or by name) with the prompt version it runs: its own, or else the prompt's latest."""
    deployment, prompt, version, rollout = Deployment.__table__, Prompt.__table__, PromptVersion.__table__, Rollout.__table__
    runs_version = sa.func.coalesce(deployment.c.prompt_version, prompt.c.latest_version)
    column = deployment.c.id if by_id else deployment.c.name
    columns = (
        deployment.c.id, deployment.c.name, deployment.c.revision, deployment.c.prompt_id, deployment.c.provider,
        deployment.c.model, deployment.c.options, version.c.version, version.c.template, version.c.input_schema,
        version.c.response_schema, version.c.accepts_file, rollout.c.id.label('rollout_id'),
        rollout.c.percent.label('rollout_percent'), rollout.c.candidate.label('rollout_candidate'),
        rollout.c.candidate_revision.label('rollout_candidate_revision'),
    )  # fmt: skip
    return (
        sa.select(*columns)
        .select_from(deployment)
        .outerjoin(prompt, prompt.c.id == deployment.c.prompt_id)
        .outerjoin(version, (version.c.prompt_id == deployment.c.prompt_id) & (version.c.version == runs_version))
        # the unique index on active rollouts makes this one row at most
        .outerjoin(rollout, (rollout.c.deployment_id == deployment.c.id) & rollout.c.status.in_(ACTIVE_ROLLOUT))
        .where(column == sa.bindparam('ref'))
    )


_RUN_TARGET = {by_id: _run_target(by_id) for by_id in (False, True)}  # built once: statements are cached by shape


def _candidate_version() -> sa.Select:
    """The candidate's prompt version: its pinned one, or else its prompt's latest."""
    prompt, version = Prompt.__table__, PromptVersion.__table__
    wanted = sa.func.coalesce(sa.bindparam('version', type_=sa.Integer), prompt.c.latest_version)
    columns = (version.c.version, version.c.template, version.c.input_schema, version.c.response_schema, version.c.accepts_file)
    return (
        sa.select(*columns)
        .select_from(prompt)
        .join(version, (version.c.prompt_id == prompt.c.id) & (version.c.version == wanted))
        .where(prompt.c.id == sa.bindparam('prompt_id'))
    )


_CANDIDATE_VERSION = _candidate_version()
