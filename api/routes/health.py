"""Liveness and a database check, without authentication (for load balancers and probes)."""

import logging

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CoreDep
from api.schemas.providers import HealthPublic

log = logging.getLogger(__name__)
router = APIRouter(tags=['health'])


@router.get(
    '/health',
    response_model=HealthPublic,
    responses={503: {'model': HealthPublic, 'description': 'The database is not reachable'}},
)
def health(core: CoreDep):
    """200 when this process and its database answer; 503 otherwise."""
    try:
        with core.engine.connect() as connection:
            connection.execute(sa.text('SELECT 1'))
    except sa.exc.SQLAlchemyError as problem:
        log.error('health check: database unreachable: %s', problem)
        return JSONResponse({'status': 'error', 'database': 'unreachable'}, status_code=503)  # details go to the log only
    return HealthPublic(status='ok', database='ok')
