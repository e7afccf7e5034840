"""Users (admins only): add people with a role, change roles, disable and enable accounts."""

from nicegui import run, ui

from core import users
from core.app import Core
from core.errors import DomainError
from core.permissions import ROLES, Actor
from core.users import UserView
from ui import display, feedback

ROLE_HELP = 'admin: everything, incl. settings · editor: prompts, deployments, runs · viewer: read only'


class UsersPanel:
    def __init__(self, core: Core, actor: Actor) -> None:
        self.core, self.actor = core, actor
        with ui.card().classes('w-full max-w-3xl'):
            ui.label('Add a person').classes('font-semibold')
            with ui.row().classes('w-full items-start gap-2'):
                self.email = ui.input('Email').classes('grow').mark('user-email')
                self.password = ui.input('Initial password', password=True, password_toggle_button=True).classes('grow')
                self.password.mark('user-password')
                self.role = ui.select(list(ROLES), value='editor', label='Role').classes('w-32')
                ui.button('Add', icon='person_add', on_click=self.add).mark('add-user')
            ui.label(ROLE_HELP).classes('text-xs text-slate-500')
        self.list = ui.column().classes('w-full max-w-3xl gap-1')
        self.show()

    def show(self) -> None:
        self.list.clear()
        with self.list:
            for user in users.list_users(self.core, self.actor):
                self._row(user)

    def _row(self, user: UserView) -> None:
        with ui.row().classes('w-full items-center gap-3 border-b py-1'):
            ui.label(user.email).classes('font-medium grow')
            ui.label(f'last sign-in {display.when(user.last_login_at)}').classes('text-xs text-slate-500')
            role = ui.select(list(ROLES), value=user.role, on_change=lambda e, u=user: self.change_role(u, e.value))
            role.classes('w-32').props('dense').mark(f'role-{user.email}')
            label = 'Enable' if user.disabled else 'Disable'
            ui.button(label, on_click=lambda u=user: self.toggle(u)).props('flat dense')

    async def add(self) -> None:
        fields = {'email': self.email, 'password': self.password, 'role': self.role}
        feedback.clear_invalid(fields)
        try:
            user = await run.io_bound(
                users.create_user,
                self.core,
                self.actor,
                email=self.email.value or '',
                password=self.password.value or '',
                role=self.role.value,
            )
        except DomainError as error:
            feedback.show_error(fields, error)
            return
        self.email.value = self.password.value = ''
        feedback.success(f'Added {user.email} as {user.role}')
        self.show()

    def change_role(self, user: UserView, role: str) -> None:
        if role == user.role:
            return
        try:
            changed = users.set_role(self.core, self.actor, user.id, role=role)
        except DomainError as error:
            feedback.failure(error)
        else:
            feedback.success(f'{changed.email} is now {changed.role}')
        self.show()

    def toggle(self, user: UserView) -> None:
        try:
            changed = users.set_disabled(self.core, self.actor, user.id, disabled=not user.disabled)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'{changed.email} is {"disabled" if changed.disabled else "enabled"}')
        self.show()
