"""SQLModel tables: the whole schema. Change it only together with a migration in data/migrations."""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime columns store and return it as such on both databases."""
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def json_column(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.JSON, nullable=nullable))


def parent_id(parent: str) -> Any:
    """A required reference whose rows go with the parent."""
    reference = sa.ForeignKey(f'{parent}.id', ondelete='CASCADE')
    return Field(sa_column=sa.Column(sa.String(36), reference, nullable=False, index=True))


class Prompt(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200, sa_column_kwargs={'unique': True})
    latest_version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PromptVersion(SQLModel, table=True):
    __tablename__ = 'prompt_version'
    __table_args__ = (sa.UniqueConstraint('prompt_id', 'version'),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    prompt_id: str = parent_id('prompt')
    version: int
    template: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    input_schema: dict | None = json_column()
    response_schema: dict | None = json_column()
    accepts_file: bool = False
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Deployment(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=100, sa_column_kwargs={'unique': True})
    prompt_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey('prompt.id'), nullable=False, index=True))
    prompt_version: int | None = None  # None: always the prompt's latest version
    provider: str = Field(max_length=20, index=True)
    model: str = Field(max_length=200, index=True)
    options: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    revision: int = 1
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class DeploymentRevision(SQLModel, table=True):
    __tablename__ = 'deployment_revision'
    __table_args__ = (sa.UniqueConstraint('deployment_id', 'revision'),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    deployment_id: str = parent_id('deployment')
    revision: int
    # the full configuration: promptId, promptVersion, provider, model, options
    config: dict = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Provider(StrEnum):
    """The providers a deployment can run on (deployment.provider, execution.provider, provider_credential.provider)."""

    OPENAI = 'openai'
    ANTHROPIC = 'anthropic'
    OLLAMA = 'ollama'


class ExecutionStatus(StrEnum):
    """pending -> running -> completed | failed | cancelled."""

    PENDING = 'pending'
    RUNNING = 'running'
    COMPLETED = 'completed'
    FAILED = 'failed'
    CANCELLED = 'cancelled'

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED})
UNFINISHED = frozenset({ExecutionStatus.PENDING, ExecutionStatus.RUNNING})


class Theme(StrEnum):
    """A person's choice of colours for the dashboard (app_user.theme); no choice (NULL) follows the system's."""

    LIGHT = 'light'
    DARK = 'dark'


class Origin(StrEnum):
    """Who asked for an execution: the dashboard, the API, or the API's OpenAI-compatible endpoint."""

    UI = 'ui'
    API = 'api'
    OPENAI = 'openai'


class Execution(SQLModel, table=True):
    """One run: a snapshot of what ran, its status, and the queue/lease columns the engine uses."""

    __table_args__ = (
        sa.Index('ix_execution_claim', 'status', 'provider', 'created_at'),
        # covering: a deployment's metrics read only this index (a year of runs must not make a chart slow)
        sa.Index(
            'ix_execution_deployment_metrics', 'deployment_id', 'created_at', 'status', 'revision', 'duration_ms',
            'input_tokens', 'output_tokens', 'cost_usd',
        ),
        # covering too, and only rows served under a rollout: the guardrails re-read an arm's runs after every round
        sa.Index(
            'ix_execution_rollout', 'rollout_id', 'created_at', 'arm', 'status', 'result_valid', 'duration_ms',
            sqlite_where=sa.text('rollout_id IS NOT NULL'), postgresql_where=sa.text('rollout_id IS NOT NULL'),
        ),
        sa.Index('ix_execution_api_key_status', 'api_key_id', 'status'),  # a key's runs in flight, for its concurrentRuns
        sa.UniqueConstraint('api_key_id', 'idempotency_key'),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    status: str = Field(default=ExecutionStatus.PENDING, max_length=20)  # an ExecutionStatus
    # snapshot (no foreign keys: an execution outlives its deployment and prompt)
    deployment_id: str | None = Field(default=None, max_length=36)
    deployment_name: str | None = Field(default=None, max_length=100)
    revision: int | None = None  # the revision that served it: a rollout's candidate's, on the candidate arm
    rollout_id: str | None = Field(default=None, max_length=36)  # the rollout that assigned it an arm
    arm: str | None = Field(default=None, max_length=10)  # an Arm
    prompt_id: str | None = Field(default=None, max_length=36)
    prompt_version: int | None = None
    provider: str = Field(max_length=20)
    model: str = Field(max_length=200)
    options: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    messages: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    response_schema: dict | None = json_column()
    user_input: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    variables: dict | None = json_column()  # the run's `variables` as sent (None: the input text alone)
    trace_id: str | None = Field(default=None, max_length=200, index=True)
    file_id: str | None = Field(default=None, max_length=36)
    origin: str = Field(default=Origin.API, max_length=10)  # an Origin
    api_key_id: str | None = Field(default=None, max_length=36)
    user_id: str | None = Field(default=None, max_length=36)
    idempotency_key: str | None = Field(default=None, max_length=200)
    # outcome
    result: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    result_valid: bool | None = None
    result_validation_message: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_ms: int | None = None
    cost_usd: float | None = None  # from the price table when it finished; None for a model it does not list
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    # queue: a running row whose lease has expired may be claimed again; `lease_token` fences late writers
    lease_token: str | None = Field(default=None, max_length=36)
    lease_expires_at: datetime | None = None


class AttemptOutcome(StrEnum):
    """How one provider call of an execution ended: it answered, it failed and another call followed, or it failed last."""

    SUCCEEDED = 'succeeded'
    RETRIED = 'retried'
    FAILED = 'failed'


class ExecutionAttempt(SQLModel, table=True):
    """One provider call of an execution (its retries are more rows), written with the engine's own writes."""

    __tablename__ = 'execution_attempt'

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    execution_id: str = parent_id('execution')
    number: int  # the execution's `attempts` count when this call was made
    started_at: datetime
    completed_at: datetime
    duration_ms: int
    outcome: str = Field(max_length=20)  # an AttemptOutcome
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    http_status: int | None = None  # the provider's answer when it failed with one (429, 503, ...)


class RolloutStatus(StrEnum):
    """running <-> paused, then promoted | rolled_back | aborted."""

    RUNNING = 'running'
    PAUSED = 'paused'
    PROMOTED = 'promoted'
    ROLLED_BACK = 'rolled_back'
    ABORTED = 'aborted'

    @property
    def active(self) -> bool:
        return self in ACTIVE_ROLLOUT


ACTIVE_ROLLOUT = frozenset({RolloutStatus.RUNNING, RolloutStatus.PAUSED})


class Arm(StrEnum):
    """Which configuration served a run: the deployment's current revision or the rollout's candidate."""

    STABLE = 'stable'
    CANDIDATE = 'candidate'


class RegressionAction(StrEnum):
    """What a rollout does on its own when a guardrail finds a regression (onRegression)."""

    ROLLBACK = 'rollback'
    PAUSE = 'pause'


class Rollout(SQLModel, table=True):
    """A gradual move of a deployment from its current revision (stable) to a candidate revision written at start.

    Every instance reads its state here: the run path its arm's percent, the workers its stage and figures. `version`
    fences each change, so two workers deciding the same step at once change it only once.
    """

    __table_args__ = (
        # at most one active rollout per deployment: a database constraint, not only a check
        sa.Index(
            'ix_rollout_active', 'deployment_id', unique=True,
            sqlite_where=sa.text("status IN ('running', 'paused')"),
            postgresql_where=sa.text("status IN ('running', 'paused')"),
        ),
    )  # fmt: skip

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    deployment_id: str = parent_id('deployment')
    status: str = Field(default=RolloutStatus.RUNNING, max_length=20)  # a RolloutStatus
    stage: int = 0  # index into settings.stages
    percent: int  # of runs the candidate serves now (0 once ended but promoted: the candidate is then stable)
    settings: dict = Field(sa_column=sa.Column(sa.JSON, nullable=False))  # stages, stageMinutes, minSamples, ...
    stable_revision: int
    candidate_revision: int
    candidate: dict = Field(sa_column=sa.Column(sa.JSON, nullable=False))  # promptId, promptVersion, provider, model, options
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    history: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    version: int = 1
    created_by: str | None = Field(default=None, max_length=200)
    stage_started_at: datetime = Field(default_factory=utcnow)
    guarded_since: datetime = Field(default_factory=utcnow)  # the guardrails weigh runs created since (start or resume)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None


class MetricsHour(SQLModel, table=True):
    """One closed hour of a deployment's runs, rolled up when metrics first read it, so a chart over 30 days reads 720
    rows rather than every run. `figures` maps each revision to [executions, completed, failed, input tokens, output
    tokens, cost in USD or null, durations]; `durations` holds each revision's completed runs' durations (ms), sorted,
    as int32 in that order, so percentiles over any span stay exact. A row is `final` once none of its runs was
    pending or running when it was made; an hour that was not is made again at the next read."""

    __tablename__ = 'metrics_hour'

    deployment_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey('deployment.id', ondelete='CASCADE'), primary_key=True)
    )
    hour: datetime = Field(primary_key=True)
    figures: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    durations: bytes = Field(default=b'', sa_column=sa.Column(sa.LargeBinary, nullable=False))
    final: bool = True


class IdempotencyKey(SQLModel, table=True):
    """An API key's `Idempotency-Key` and the run it started: a retry with the same key gets that run, for 24 h."""

    __tablename__ = 'idempotency_key'

    api_key_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey('api_key.id', ondelete='CASCADE'), primary_key=True))
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)  # SHA-256 of the request: the same key with another body is refused
    execution_id: str = Field(max_length=36)
    created_at: datetime = Field(index=True)  # from Core.clock; the key expires 24 h after


class RefusedRun(SQLModel, table=True):
    """A run request the API refused (4xx), kept so a deployment's owners see what its callers get wrong.

    `deployment_id` is None when the name matched no deployment; core keeps the newest rows of each deployment only.
    """

    __tablename__ = 'refused_run'
    __table_args__ = (sa.Index('ix_refused_run_deployment_id', 'deployment_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    deployment_id: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(36), sa.ForeignKey('deployment.id', ondelete='CASCADE'))
    )
    deployment_ref: str = Field(max_length=200)  # the deployment as the caller named it
    api_key_id: str | None = Field(default=None, max_length=36)
    key_name: str = Field(max_length=200)
    status: int  # the HTTP status the caller was answered
    message: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ProviderCredential(SQLModel, table=True):
    __tablename__ = 'provider_credential'

    provider: str = Field(primary_key=True, max_length=20)
    api_key_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    base_url: str | None = Field(default=None, max_length=500)
    updated_by: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = 'api_key'

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=32, sa_column_kwargs={'unique': True})  # the lookup part of the token
    key_hash: str = Field(max_length=128)  # HMAC-SHA-256 of the whole token
    scopes: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    created_by: str | None = Field(default=None, max_length=200)
    # the account that created it (None: the CLI); disabling that account revokes the key
    created_by_user_id: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(36), sa.ForeignKey('app_user.id', ondelete='SET NULL'), index=True)
    )
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    # rate limits (None: none); the request quota's GCRA state is its theoretical arrival time, in epoch microseconds
    requests_per_minute: int | None = None
    concurrent_runs: int | None = None
    request_quota_tat: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))


class User(SQLModel, table=True):
    __tablename__ = 'app_user'  # 'user' is reserved in PostgreSQL

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(max_length=320, sa_column_kwargs={'unique': True})
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=10)  # admin | editor | viewer
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    theme: str | None = Field(default=None, max_length=5)  # a Theme; None follows the system setting


class UserSession(SQLModel, table=True):
    """A dashboard sign-in. The browser's cookie holds a random token and this row its HMAC; until the browser
    exchanges the one-time ticket handed out at sign-in, the row has only the ticket's HMAC."""

    __tablename__ = 'user_session'

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = parent_id('app_user')
    token_hash: str | None = Field(default=None, max_length=64, sa_column_kwargs={'unique': True})
    ticket_hash: str | None = Field(default=None, max_length=64, sa_column_kwargs={'unique': True})
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class SignInThrottle(SQLModel, table=True):
    """Recent failed sign-ins of one account or one client address, shared by every instance on the database."""

    __tablename__ = 'sign_in_throttle'

    key: str = Field(primary_key=True, max_length=400)  # 'account:<email>' | 'address:<ip>'
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, index=True)
    blocked_until: datetime | None = None


class SetupToken(SQLModel, table=True):
    """The HMAC of a first-run setup link's token, printed to the console at start while no account exists."""

    __tablename__ = 'setup_token'

    token_hash: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class StoredFile(SQLModel, table=True):
    """Upload metadata; the bytes live in FileBlob so listing never loads them."""

    __tablename__ = 'file'

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class FileBlob(SQLModel, table=True):
    __tablename__ = 'file_blob'

    file_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey('file.id', ondelete='CASCADE'), primary_key=True))
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class WebhookEvent(StrEnum):
    """What a webhook delivery tells (its body's `type`)."""

    EXECUTION_COMPLETED = 'execution.completed'
    EXECUTION_FAILED = 'execution.failed'
    EXECUTION_CANCELLED = 'execution.cancelled'
    ROLLOUT_UPDATED = 'rollout.updated'
    TEST = 'webhook.test'  # "Send test event": goes to the one endpoint asked, whatever it subscribes to


SUBSCRIBABLE_EVENTS = tuple(event for event in WebhookEvent if event is not WebhookEvent.TEST)


class DeliveryStatus(StrEnum):
    """pending -> sending -> delivered | pending (a retry is due later) | failed (the retry schedule is spent)."""

    PENDING = 'pending'
    SENDING = 'sending'
    DELIVERED = 'delivered'
    FAILED = 'failed'


class WebhookEndpoint(SQLModel, table=True):
    """Where events go: a URL, the events and deployments it wants, and its signing secret (encrypted at rest)."""

    __tablename__ = 'webhook_endpoint'

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    description: str = Field(default='', max_length=500)
    events: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    deployments: list | None = json_column()  # deployment names; None: every deployment
    enabled: bool = True
    secret_encrypted: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # during a rotation the old secret signs too, until `previous_secret_expires_at`
    previous_secret_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    previous_secret_expires_at: datetime | None = None
    # since when every attempt has failed (None: the last one succeeded); 24 h of that disables the endpoint
    failing_since: datetime | None = None
    disabled_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))  # set when we disabled it
    last_attempt_at: datetime | None = None
    last_attempt_ok: bool | None = None
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: a queue row, claimed under a lease like an execution, with the body it always sends."""

    __tablename__ = 'webhook_delivery'
    __table_args__ = (
        sa.Index('ix_webhook_delivery_claim', 'status', 'next_attempt_at'),
        sa.Index('ix_webhook_delivery_endpoint_created', 'endpoint_id', 'created_at'),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    endpoint_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey('webhook_endpoint.id', ondelete='CASCADE'), nullable=False)
    )
    event_type: str = Field(max_length=40)  # a WebhookEvent
    message_id: str = Field(max_length=60)  # the `webhook-id` header: the same on every attempt
    record_id: str | None = Field(default=None, max_length=36, index=True)  # the execution (or rollout) it tells of
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # the exact JSON signed and sent
    status: str = Field(default=DeliveryStatus.PENDING, max_length=20)  # a DeliveryStatus
    attempts: int = 0
    round_attempts: int = 0  # attempts since it was queued or last re-sent: where it stands in the retry schedule
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    lease_token: str | None = Field(default=None, max_length=36)
    lease_expires_at: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    """One POST of a delivery: what came back, for the delivery log."""

    __tablename__ = 'webhook_attempt'
    __table_args__ = (sa.Index('ix_webhook_attempt_endpoint_at', 'endpoint_id', 'at'),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    delivery_id: str = parent_id('webhook_delivery')
    endpoint_id: str = Field(max_length=36)  # the delivery's, so an endpoint's log reads one index
    number: int
    at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None
    duration_ms: int = 0
    response_excerpt: str = Field(default='', sa_column=sa.Column(sa.Text, nullable=False))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
