"""Uploaded files: checked for size and type, kept in the database so every instance sharing it sees them."""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath, PureWindowsPath

import sqlalchemy as sa
from sqlmodel import select

from core.app import Core
from core.errors import DomainError, Invalid, NotFound
from core.pagination import Page
from core.permissions import Actor
from data.tables import FileBlob, StoredFile

DEFAULT_MAX_UPLOAD_MB = 20
ALLOWED_TYPES = ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain')


class FileTooLarge(DomainError):
    code = 'too_large'


class UnsupportedFileType(DomainError):
    code = 'unsupported_media_type'


@dataclass(frozen=True)
class FileView:
    """An uploaded file's metadata (its bytes are read separately)."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_by: str | None
    created_at: datetime


def max_upload_bytes(core: Core) -> int:
    """HYPERSIGIL_MAX_UPLOAD_MB (default 20) in bytes."""
    text = core.settings.env.get('HYPERSIGIL_MAX_UPLOAD_MB', str(DEFAULT_MAX_UPLOAD_MB))
    return int(float(text) * 1024 * 1024)


def upload_file(core: Core, actor: Actor, *, filename: str, content_type: str | None, data: bytes) -> FileView:
    """Store an upload after checking its size, its declared type and that the bytes look like that type."""
    actor.require('files:write')
    limit = max_upload_bytes(core)
    if len(data) > limit:
        raise FileTooLarge(f'the file is {len(data)} bytes; the limit is {limit} bytes')
    if not data:
        raise Invalid('file', 'the file is empty')
    content_type = _checked_type(content_type, data)
    row = StoredFile(
        filename=_clean_filename(filename),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=actor.name,
    )
    with core.session() as session:
        session.add(row)
        session.flush()  # the blob's foreign key needs the file row first
        session.add(FileBlob(file_id=row.id, content=data))
    return _view(row)


def get_file(core: Core, actor: Actor, file_id: str) -> FileView:
    actor.require('files:read')
    with core.session() as session:
        return _view(_row(session, file_id))


def read_file(core: Core, actor: Actor, file_id: str) -> tuple[FileView, bytes]:
    """Metadata and bytes."""
    actor.require('files:read')
    found = load_file(core, file_id)
    if found is None:
        raise NotFound(f'no file with id {file_id!r}')
    return found


def load_file(core: Core, file_id: str) -> tuple[FileView, bytes] | None:
    """For the engine and run checks (no actor): the file and its bytes, or None."""
    with core.session() as session:
        found = session.exec(
            select(StoredFile, FileBlob).join(FileBlob, FileBlob.file_id == StoredFile.id).where(StoredFile.id == file_id)
        ).first()
        if found is None:
            return None
        return _view(found[0]), found[1].content


def list_files(core: Core, actor: Actor, *, page: int = 1, page_size: int = 20) -> Page[FileView]:
    """Newest first, without loading any bytes."""
    actor.require('files:read')
    with core.session() as session:
        total = session.exec(select(sa.func.count()).select_from(StoredFile)).one()
        rows = session.exec(
            select(StoredFile)
            .order_by(StoredFile.created_at.desc(), StoredFile.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return Page(items=[_view(row) for row in rows], total=total, page=page, page_size=page_size)


def delete_file(core: Core, actor: Actor, file_id: str) -> None:
    """Executions that used it keep its id; its bytes go."""
    actor.require('files:write')
    with core.session() as session:
        row = _row(session, file_id)
        session.execute(sa.delete(FileBlob).where(FileBlob.file_id == row.id))  # explicit: SQLite may run without cascades
        session.delete(row)


def _row(session, file_id: str) -> StoredFile:
    row = session.get(StoredFile, file_id)
    if row is None:
        raise NotFound(f'no file with id {file_id!r}')
    return row


def _checked_type(declared: str | None, data: bytes) -> str:
    """The declared type (sniffed when the client sent none), if allowed and the bytes agree with it."""
    content_type = (declared or '').split(';')[0].strip().lower()
    if content_type in ('', 'application/octet-stream'):
        content_type = sniff_type(data) or content_type or 'application/octet-stream'
    if content_type == 'image/jpg':
        content_type = 'image/jpeg'
    if content_type not in ALLOWED_TYPES:
        raise UnsupportedFileType(f'{content_type} files are not accepted; send one of: {", ".join(ALLOWED_TYPES)}')
    if not _looks_like(content_type, data):
        raise Invalid('file', f'the content does not look like {content_type}')
    return content_type


def sniff_type(data: bytes) -> str | None:
    """The allowed type these bytes start like, if any."""
    for content_type in ALLOWED_TYPES:
        if _looks_like(content_type, data):
            return content_type
    return None


def _looks_like(content_type: str, data: bytes) -> bool:
    if content_type == 'image/png':
        return data.startswith(b'\x89PNG\r\n\x1a\n')
    if content_type == 'image/jpeg':
        return data.startswith(b'\xff\xd8\xff')
    if content_type == 'image/gif':
        return data.startswith((b'GIF87a', b'GIF89a'))
    if content_type == 'image/webp':
        return data[:4] == b'RIFF' and data[8:12] == b'WEBP'
    if content_type == 'application/pdf':
        return data[:1024].lstrip().startswith(b'%PDF-')
    if content_type == 'text/plain':
        return b'\x00' not in data and _is_utf8(data)
    return False


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return True


def _clean_filename(filename: str | None) -> str:
    """The last path component, without control characters, at most 255 characters."""
    name = PureWindowsPath(PurePosixPath(filename or '').name).name
    name = re.sub(r'[\x00-\x1f\x7f]', '', name).strip() or 'upload'
    return name[-255:]


def _view(row: StoredFile) -> FileView:
    return FileView(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        created_by=row.created_by,
        created_at=row.created_at,
    )
