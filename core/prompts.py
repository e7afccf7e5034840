"""Prompts: named templates whose every content change appends an immutable PromptVersion."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core.app import Core
from core.errors import Conflict, Invalid, NotFound
from core.pagination import Page, like_pattern, paginate
from core.permissions import Actor
from core.refs import find_by_ref, looks_like_uuid
from core.templates import build_messages, validate_schema, validate_template
from core.text import reject_nul
from data.tables import Deployment, Prompt, PromptVersion, utcnow


class _Unset:
    def __repr__(self) -> str:
        return 'UNSET'


UNSET: Any = _Unset()  # "leave as is", where None means "remove"


@dataclass(frozen=True)
class PromptView:
    """A prompt with the content of one of its versions (the latest unless asked otherwise)."""

    id: str
    name: str
    version: int
    template: str
    input_schema: dict | None
    response_schema: dict | None
    accepts_file: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PromptVersionView:
    """One immutable version of a prompt's content."""

    version: int
    template: str
    input_schema: dict | None
    response_schema: dict | None
    accepts_file: bool
    created_by: str | None
    created_at: datetime


def create_prompt(
    core: Core,
    actor: Actor,
    *,
    name: str,
    template: str,
    input_schema: dict | None = None,
    response_schema: dict | None = None,
    accepts_file: bool = False,
) -> PromptView:
    actor.require('prompts:write')
    name = _check_name(name)
    content = _check_content(template, input_schema, response_schema, accepts_file)
    with core.session() as session:
        prompt = Prompt(name=name, latest_version=1)
        session.add(prompt)
        version = PromptVersion(prompt_id=prompt.id, version=1, created_by=actor.name, **content)
        session.add(version)
        _flush_or_conflict(session, name)
        return _view(prompt, version)


def update_prompt(
    core: Core,
    actor: Actor,
    ref: str,
    *,
    name: str | None = None,
    template: str | None = None,
    input_schema: dict | None = UNSET,
    response_schema: dict | None = UNSET,
    accepts_file: bool | None = None,
) -> PromptView:
    """Rename and/or change content; a new version only when the content really differs."""
    actor.require('prompts:write')
    new_name = None if name is None else _check_name(name)
    with core.session() as session:
        prompt = find_prompt(session, ref)
        latest = find_version(session, prompt.id, prompt.latest_version)
        content = _check_content(
            latest.template if template is None else template,
            latest.input_schema if input_schema is UNSET else input_schema,
            latest.response_schema if response_schema is UNSET else response_schema,
            latest.accepts_file if accepts_file is None else accepts_file,
        )
        content_changed = content != _content(latest)
        values: dict[str, Any] = {}
        if new_name is not None and new_name != prompt.name:
            values['name'] = new_name
        if content_changed:
            values['latest_version'] = Prompt.latest_version + 1  # atomic: two concurrent edits get 2 and 3
        if not values:
            return _view(prompt, latest)
        values['updated_at'] = utcnow()
        statement = sa.update(Prompt).where(Prompt.id == prompt.id).values(**values).returning(Prompt.latest_version)
        try:
            number = session.exec(statement).scalar_one()
        except sa.exc.IntegrityError:
            raise Conflict(f'a prompt named {new_name!r} already exists') from None
        if content_changed:
            latest = PromptVersion(prompt_id=prompt.id, version=number, created_by=actor.name, **content)
            session.add(latest)
            session.flush()
        session.refresh(prompt)
        return _view(prompt, latest)


def get_prompt(core: Core, actor: Actor, ref: str, *, version: int | None = None) -> PromptView:
    actor.require('prompts:read')
    with core.session() as session:
        prompt = find_prompt(session, ref)
        return _view(prompt, _version_or_404(session, prompt, version))


def list_prompts(core: Core, actor: Actor, *, search: str | None = None, page: int = 1, page_size: int = 20) -> Page[PromptView]:
    """Prompts by name (ignoring case) with their latest content; `search` matches the name, ignoring case."""
    actor.require('prompts:read')
    statement = sa.select(Prompt, PromptVersion).join(
        PromptVersion, sa.and_(PromptVersion.prompt_id == Prompt.id, PromptVersion.version == Prompt.latest_version)
    )
    if search:
        statement = statement.where(sa.func.lower(Prompt.name).like(like_pattern(search), escape='\\'))
    statement = statement.order_by(sa.func.lower(Prompt.name), Prompt.id)
    with core.session() as session:
        rows = paginate(session, statement, page=page, page_size=page_size)
    return Page([_view(prompt, version) for prompt, version in rows.items], rows.total, rows.page, rows.page_size)


def prompt_names(core: Core, actor: Actor, prompt_ids: set[str]) -> dict[str, str]:
    """Names by id in one query, for a page of rows that reference prompts; ids of deleted prompts are left out."""
    actor.require('prompts:read')
    if not prompt_ids:
        return {}
    with core.session() as session:
        rows = session.execute(sa.select(Prompt.id, Prompt.name).where(Prompt.id.in_(sorted(prompt_ids)))).all()
        return {prompt_id: name for prompt_id, name in rows}


def list_versions(core: Core, actor: Actor, ref: str) -> list[PromptVersionView]:
    """Every version of a prompt, newest first."""
    actor.require('prompts:read')
    with core.session() as session:
        prompt = find_prompt(session, ref)
        statement = sa.select(PromptVersion).where(PromptVersion.prompt_id == prompt.id).order_by(PromptVersion.version.desc())
        return [_version_view(version) for version in session.exec(statement).scalars()]


def delete_prompt(core: Core, actor: Actor, ref: str) -> None:
    """Delete a prompt and its versions; refused while a deployment uses it."""
    actor.require('prompts:write')
    with core.session() as session:
        prompt = find_prompt(session, ref)
        users = sa.select(Deployment.name).where(Deployment.prompt_id == prompt.id).order_by(Deployment.name)
        names = list(session.exec(users).scalars())
        if names:
            raise Conflict(f'prompt {prompt.name!r} is used by deployment{"s" if len(names) > 1 else ""} {", ".join(names)}')
        try:
            session.exec(sa.delete(Prompt).where(Prompt.id == prompt.id))
            session.flush()
        except sa.exc.IntegrityError:  # a deployment made in the meantime (the foreign key says no)
            raise Conflict(f'prompt {prompt.name!r} is used by a deployment') from None


def preview_prompt(
    core: Core, actor: Actor, ref: str, *, user_input: str | None, variables: dict | None = None, version: int | None = None
) -> list[dict]:
    """The messages a run with this input text and these variables would send."""
    actor.require('prompts:read')
    with core.session() as session:
        prompt = find_prompt(session, ref)
        chosen = _version_or_404(session, prompt, version)
    return build_messages(chosen.template, user_input, variables=variables, input_schema=chosen.input_schema)


def find_prompt(session: Session, ref: str) -> Prompt:
    """A prompt by id or by name; NotFound otherwise."""
    return find_by_ref(session, Prompt, ref, 'prompt')


def find_version(session: Session, prompt_id: str, version: int) -> PromptVersion | None:
    statement = sa.select(PromptVersion).where(PromptVersion.prompt_id == prompt_id, PromptVersion.version == version)
    return session.exec(statement).scalar_one_or_none()


def _version_or_404(session: Session, prompt: Prompt, version: int | None) -> PromptVersion:
    found = find_version(session, prompt.id, prompt.latest_version if version is None else version)
    if found is None:
        raise NotFound(f'prompt {prompt.name!r} has no version {version}')
    return found


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid('name', 'must not be empty')
    reject_nul(name=name)
    name = name.strip()
    if len(name) > 200:
        raise Invalid('name', 'must be at most 200 characters')
    if looks_like_uuid(name):
        raise Invalid('name', 'must not look like a UUID (a UUID refers to a prompt by id)')
    return name


def _check_content(template: Any, input_schema: Any, response_schema: Any, accepts_file: Any) -> dict:
    if not isinstance(accepts_file, bool):
        raise Invalid('acceptsFile', 'must be true or false')
    reject_nul(template=template, inputSchema=input_schema, responseSchema=response_schema)
    return {
        'template': validate_template(template),
        'input_schema': validate_schema(input_schema, 'inputSchema'),
        'response_schema': validate_schema(response_schema, 'responseSchema'),
        'accepts_file': accepts_file,
    }


def _content(version: PromptVersion) -> dict:
    keys = ('template', 'input_schema', 'response_schema', 'accepts_file')
    return {key: getattr(version, key) for key in keys}


def _flush_or_conflict(session: Session, name: str) -> None:
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(f'a prompt named {name!r} already exists') from None


def _version_view(version: PromptVersion) -> PromptVersionView:
    return PromptVersionView(
        version=version.version,
        template=version.template,
        input_schema=version.input_schema,
        response_schema=version.response_schema,
        accepts_file=version.accepts_file,
        created_by=version.created_by,
        created_at=version.created_at,
    )


def _view(prompt: Prompt, version: PromptVersion) -> PromptView:
    return PromptView(
        id=prompt.id,
        name=prompt.name,
        version=version.version,
        template=version.template,
        input_schema=version.input_schema,
        response_schema=version.response_schema,
        accepts_file=version.accepts_file,
        created_at=prompt.created_at,
        updated_at=prompt.updated_at,
    )
