"""API keys, for admins: list, create (the key shown in that answer only), change rate limits, revoke."""

from dataclasses import asdict

from fastapi import APIRouter, Response

from api.deps import Admin, CoreDep
from api.errors import CONFLICT, NOT_FOUND, RESPONSES
from api.schemas.keys import ApiKeyCreated, ApiKeyPublic, ApiKeysPublic, KeyCreate, KeyUpdate
from core import api_keys

router = APIRouter(prefix='/keys', tags=['keys'], responses=RESPONSES)


@router.get('', response_model=ApiKeysPublic)
def list_keys(core: CoreDep, actor: Admin):
    """Every key, newest first, revoked ones too; never a key itself."""
    return ApiKeysPublic(items=api_keys.list_api_keys(core, actor))


@router.post('', status_code=201, response_model=ApiKeyCreated)
def create_key(core: CoreDep, actor: Admin, body: KeyCreate, response: Response):
    """A new key, in `key`: this answer is the only time it is shown (only its HMAC is stored)."""
    created = api_keys.create_api_key(
        core, actor, name=body.name, scopes=body.scopes, expires_days=body.expires_days,
        requests_per_minute=body.requests_per_minute, concurrent_runs=body.concurrent_runs,
    )  # fmt: skip
    response.headers['Cache-Control'] = 'no-store'  # a secret: no cache keeps it
    return ApiKeyCreated(**asdict(created.key), key=created.token)


@router.patch('/{key_id}', response_model=ApiKeyPublic, responses={**NOT_FOUND, **CONFLICT})
def update_key(core: CoreDep, actor: Admin, key_id: str, body: KeyUpdate):
    """Change the key's rate limits; its next run obeys them. 409 when the key is revoked."""
    return api_keys.update_api_key(core, actor, key_id, changes=body.changes())


@router.delete('/{key_id}', status_code=204, responses=NOT_FOUND)
def revoke_key(core: CoreDep, actor: Admin, key_id: str) -> None:
    """Revoke the key: its next request is refused (401). It stays listed, as a record."""
    api_keys.revoke_api_key(core, actor, key_id)
