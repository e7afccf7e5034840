"""Liveness and a database check, without authentication (for load balancers and probes)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CoreDep
from api.schemas.providers import HealthPublic
from core.health import database_state

router = APIRouter(tags=['health'])


@router.get(
    '/health',
    response_model=HealthPublic,
    responses={503: {'model': HealthPublic, 'description': 'The database is not reachable, or busy'}},
)
def health(core: CoreDep):
    """200 when this process and its database answer; 503 otherwise."""
    state = database_state(core)
    if state != 'ok':
        return JSONResponse({'status': 'error', 'database': state}, status_code=503)
    return HealthPublic(status='ok', database='ok')
