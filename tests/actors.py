"""Who asks, in tests: one actor per role, and a row counter for "nothing was written"."""

import sqlalchemy as sa

from core.permissions import Actor

SYSTEM = Actor.system()
EDITOR = Actor.user('u-1', 'editor@example.com', 'editor')
VIEWER = Actor.user('u-2', 'viewer@example.com', 'viewer')


def count(core, table) -> int:
    with core.session() as session:
        return session.exec(sa.select(sa.func.count()).select_from(table)).scalar_one()
