"""Which transport carries the bus: the database's own LISTEN/NOTIFY, or sockets beside a SQLite file."""

import sqlalchemy as sa

from core.bus.postgres import PostgresTransport
from core.bus.sockets import SocketTransport
from core.bus.transport import Transport
from core.settings import Settings

SOCKETS_DIRECTORY = 'bus'  # under the data dir


def transport_for(settings: Settings, **options) -> Transport:
    """PostgreSQL LISTEN/NOTIFY when the database is PostgreSQL; else Unix sockets between this machine's processes."""
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == 'postgresql':
        return PostgresTransport(url.set(drivername='postgresql').render_as_string(hide_password=False), **options)
    return SocketTransport(settings.data_dir / SOCKETS_DIRECTORY, **options)
