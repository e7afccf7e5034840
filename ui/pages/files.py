"""/files: upload, list and delete the files that prompts accepting a file can be run with."""

from fastapi.responses import RedirectResponse
from nicegui import events, run, ui

from core import files
from core.app import Core
from core.errors import DomainError
from core.permissions import Actor
from ui import display, feedback, session
from ui.frame import frame

PAGE_SIZE = 50


def register(core: Core) -> None:
    @ui.page('/files')
    def files_page() -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login('/files')
        with frame('Files', user):
            FilesView(core, user.actor)
        return None


class FilesView:
    def __init__(self, core: Core, actor: Actor) -> None:
        self.core, self.actor = core, actor
        ui.label('Upload a file here, then pick it in "Try it" of a deployment whose prompt accepts a file.').classes(
            'text-slate-600'
        )
        limit_mb = files.max_upload_bytes(core) / 1024 / 1024
        self.upload = ui.upload(label=f'Upload (up to {limit_mb:g} MB)', auto_upload=True, on_upload=self._uploaded)
        self.upload.props('accept="image/*,application/pdf,text/*,application/json"').classes('w-96')
        self.upload.set_enabled(actor.can('files:write'))
        self.list = ui.column().classes('w-full gap-1')
        self.show()

    def show(self) -> None:
        self.list.clear()
        try:
            page = files.list_files(self.core, self.actor, page=1, page_size=PAGE_SIZE)
        except DomainError as error:
            feedback.failure(error)
            return
        with self.list:
            if not page.items:
                ui.label('No files yet. Upload one above.').classes('text-slate-500')
            for stored in page.items:
                with ui.row().classes('w-full items-center gap-3 border-b py-1'):
                    ui.icon('description').classes('text-slate-500')
                    ui.label(stored.filename).classes('font-medium')
                    ui.label(f'{stored.content_type} · {stored.size} bytes · {display.when(stored.created_at)}').classes(
                        'text-slate-500 grow'
                    )
                    ui.label(stored.id).classes('font-mono text-xs text-slate-400')
                    delete = ui.button(icon='delete', on_click=lambda f=stored: self._delete(f.id, f.filename)).props(
                        'flat dense color=negative'
                    )
                    delete.tooltip(f'Delete {stored.filename}').mark(f'delete-{stored.filename}')
                    delete.set_enabled(self.actor.can('files:write'))
            if page.total > len(page.items):
                ui.label(f'Showing the newest {len(page.items)} of {page.total} files.').classes('text-slate-500 text-sm')

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        data = await event.file.read()
        try:
            stored = await run.io_bound(
                files.upload_file,
                self.core,
                self.actor,
                filename=event.file.name,
                content_type=event.file.content_type,
                data=data,
            )
        except DomainError as error:
            feedback.failure(error)
            return
        finally:
            self.upload.reset()
        feedback.success(f'Uploaded {stored.filename}')
        self.show()

    async def _delete(self, file_id: str, filename: str) -> None:
        if not await feedback.confirm(f'Delete {filename}? Executions that used it keep its id.'):
            return
        try:
            files.delete_file(self.core, self.actor, file_id)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Deleted {filename}')
        self.show()
