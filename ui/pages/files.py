"""/files: upload, list and delete the files that prompts accepting a file can be run with."""

from nicegui import events, ui

from core import files
from core.app import Core
from core.errors import DomainError
from ui import feedback
from ui.frame import EmptyState, frame
from ui.local_time import line_with_times
from ui.page_guard import dashboard_page
from ui.session import SignedIn

PAGE_SIZE = 50


def register(core: Core) -> None:
    @dashboard_page('/files', core, section='Files')
    async def files_page(me: SignedIn) -> None:
        with frame('Files', me):
            await FilesView(me).show()


# the uploader's header would read "0.0B / 0.00%" before any upload; the list below says what was uploaded
NO_PROGRESS = '.no-progress .q-uploader__subtitle { display: none; }'


class FilesView:
    def __init__(self, me: SignedIn) -> None:
        self.me = me
        ui.label('Upload a file here, then pick it in "Try it" of a deployment whose prompt accepts a file.').classes(
            'text-slate-600'
        )
        limit_mb = files.max_upload_bytes(me.core) / 1024 / 1024
        self.upload = ui.upload(label=f'Upload (up to {limit_mb:g} MB)', auto_upload=True, on_upload=self._uploaded)
        self.upload.props('accept="image/*,application/pdf,text/*,application/json"').classes('w-full sm:w-96 no-progress')
        ui.add_css(NO_PROGRESS)
        self.upload.set_enabled(me.may('files:write'))
        self.list = ui.column().classes('w-full gap-1')
        self.empty = EmptyState()
        self.more = ui.label().classes('text-slate-500 text-sm')

    async def show(self) -> None:
        try:
            page = await self.me.act(files.list_files, page=1, page_size=PAGE_SIZE)
        except DomainError as error:
            feedback.failure(error)
            return
        self.list.clear()
        with self.list:
            for stored in page.items:
                with ui.row().classes('w-full items-center gap-3 border-b py-1'):
                    ui.icon('description').classes('text-slate-500')
                    ui.label(stored.filename).classes('font-medium')
                    about = f'{stored.content_type} · {stored.size} bytes ·'
                    line_with_times(about, stored.created_at, classes='text-slate-500 grow')
                    ui.label(stored.id).classes('font-mono text-xs text-slate-400')
                    delete = ui.button(icon='delete', on_click=lambda f=stored: self._delete(f.id, f.filename)).props(
                        'flat dense color=negative'
                    )
                    delete.tooltip(f'Delete {stored.filename}').mark(f'delete-{stored.filename}')
                    delete.set_enabled(self.me.may('files:write'))
        self.empty.show(None if page.items else 'No files yet. Upload one above.')
        shown = len(page.items)
        self.more.text = f'Showing the newest {shown} of {page.total} files.' if page.total > shown else ''

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        data = await event.file.read()
        try:
            stored = await self.me.act(
                files.upload_file, filename=event.file.name, content_type=event.file.content_type, data=data
            )
        except DomainError as error:
            feedback.failure(error)
            return
        finally:
            self.upload.reset()
        await self.show()
        feedback.success(f'Uploaded {stored.filename}')

    async def _delete(self, file_id: str, filename: str) -> None:
        if not await feedback.confirm(f'Delete {filename}? Executions that used it keep its id.'):
            return
        try:
            await self.me.act(files.delete_file, file_id)
        except DomainError as error:
            feedback.failure(error)
            return
        await self.show()
        feedback.success(f'Deleted {filename}')
