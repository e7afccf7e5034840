"""Files: upload (size- and type-checked), metadata, download, delete."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import CoreDep, FilesRead, FilesWrite, PageNumber, PageSize
from api.errors import NOT_FOUND, RESPONSES
from api.schemas.common import ErrorResponse
from api.schemas.files import FilePublic, FilesPublic
from core import files

router = APIRouter(prefix='/files', tags=['files'], responses=RESPONSES)
UNSUPPORTED = {415: {'model': ErrorResponse, 'description': 'A content type not on the allow-list'}}
CONTENT = {200: {'description': 'The bytes, with their content type', 'content': {'application/octet-stream': {}}}}


@router.get('', response_model=FilesPublic)
def list_files(core: CoreDep, actor: FilesRead, page: PageNumber = 1, page_size: PageSize = 20):
    """Uploaded files, newest first."""
    return FilesPublic.model_validate(files.list_files(core, actor, page=page, page_size=page_size))


@router.post('', status_code=201, response_model=FilePublic, responses=UNSUPPORTED)
async def upload_file(
    core: CoreDep, actor: FilesWrite, file: Annotated[UploadFile, File(description='png, jpeg, gif, webp, pdf or plain text')]
):
    """Upload one file as multipart form field `file`."""
    data = await file.read()
    return await run_in_threadpool(
        files.upload_file, core, actor, filename=file.filename or 'upload', content_type=file.content_type, data=data
    )


@router.get('/{file_id}', response_model=FilePublic, responses=NOT_FOUND)
def get_file(core: CoreDep, actor: FilesRead, file_id: str):
    """The file's metadata."""
    return files.get_file(core, actor, file_id)


@router.get('/{file_id}/content', response_class=Response, responses={**CONTENT, **NOT_FOUND})
def download_file(core: CoreDep, actor: FilesRead, file_id: str) -> Response:
    """The file's bytes."""
    view, data = files.read_file(core, actor, file_id)
    disposition = f"attachment; filename*=UTF-8''{quote(view.filename)}"
    headers = {'Content-Disposition': disposition, 'X-Content-Type-Options': 'nosniff'}
    return Response(data, media_type=view.content_type, headers=headers)


@router.delete('/{file_id}', status_code=204, responses=NOT_FOUND)
def delete_file(core: CoreDep, actor: FilesWrite, file_id: str) -> None:
    """Delete the file and its bytes."""
    files.delete_file(core, actor, file_id)
