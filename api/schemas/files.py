"""File metadata bodies."""

from datetime import datetime

from api.schemas.common import PageFields, ResponseModel


class FilePublic(ResponseModel):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_by: str | None
    created_at: datetime


class FilesPublic(PageFields):
    items: list[FilePublic]
