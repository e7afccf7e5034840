"""File metadata bodies."""

from api.schemas.common import PageFields, public_model
from core.files import FileView

FilePublic = public_model(FileView, 'FilePublic')


class FilesPublic(PageFields):
    items: list[FilePublic]
