"""What a run runs: the deployment (by id or name) with the prompt version it uses, and the file it may take."""

import sqlalchemy as sa

from core.errors import Invalid, NotFound
from core.providers.registry import ProviderRegistry
from core.refs import looks_like_uuid
from data.tables import Deployment, Prompt, PromptVersion, StoredFile


def find_target(connection: sa.Connection, ref: str) -> sa.Row:
    """The deployment's run configuration and its prompt version's content, in one read; NotFound otherwise."""
    target = connection.execute(_RUN_TARGET[looks_like_uuid(ref)], {'ref': ref}).one_or_none()
    if target is None:
        raise NotFound(f'no deployment {ref!r}')
    if target.version is None:  # versions are immutable and a used prompt cannot be deleted: only a damaged database
        raise NotFound(f'deployment {target.name!r} points at a prompt version that does not exist')
    return target


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
    deployment, prompt, version = Deployment.__table__, Prompt.__table__, PromptVersion.__table__
    runs_version = sa.func.coalesce(deployment.c.prompt_version, prompt.c.latest_version)
    column = deployment.c.id if by_id else deployment.c.name
    columns = (
        deployment.c.id, deployment.c.name, deployment.c.revision, deployment.c.prompt_id, deployment.c.provider,
        deployment.c.model, deployment.c.options, version.c.version, version.c.template, version.c.input_schema,
        version.c.response_schema, version.c.accepts_file,
    )  # fmt: skip
    return (
        sa.select(*columns)
        .select_from(deployment)
        .outerjoin(prompt, prompt.c.id == deployment.c.prompt_id)
        .outerjoin(version, (version.c.prompt_id == deployment.c.prompt_id) & (version.c.version == runs_version))
        .where(column == sa.bindparam('ref'))
    )


_RUN_TARGET = {by_id: _run_target(by_id) for by_id in (False, True)}  # built once: statements are cached by shape
