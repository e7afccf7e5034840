"""Users (admins only): add people with a role, change roles, disable and enable accounts."""

from nicegui import ui

from core import users
from core.errors import DomainError
from core.permissions import ROLES
from core.users import UserView
from ui import feedback
from ui.local_time import line_with_times
from ui.session import SignedIn

ROLE_HELP = 'admin: everything, incl. settings · editor: prompts, deployments, runs · viewer: read only'


class UsersPanel:
    def __init__(self, me: SignedIn) -> None:
        self.me = me
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

    async def show(self) -> None:
        try:
            accounts = await self.me.act(users.list_users)
        except DomainError as error:
            feedback.failure(error)
            return
        self.list.clear()
        with self.list:
            for user in accounts:
                self._row(user)

    def _row(self, user: UserView) -> None:
        with ui.row().classes('w-full items-center gap-3 border-b py-1'):
            ui.label(user.email).classes('font-medium grow')
            if user.disabled:
                ui.badge('disabled', color='grey')
            signed_in = ('last sign-in', user.last_login_at) if user.last_login_at else ('never signed in',)
            line_with_times(*signed_in, classes='text-xs text-slate-500')
            role = ui.select(list(ROLES), value=user.role, on_change=lambda e, u=user: self.change_role(u, e.value))
            role.classes('w-32').props('dense').mark(f'role-{user.email}')
            label = 'Enable' if user.disabled else 'Disable'
            ui.button(label, on_click=lambda u=user: self.toggle(u)).props('flat dense').mark(f'toggle-{user.email}')

    async def add(self) -> None:
        fields = {'email': self.email, 'password': self.password, 'role': self.role}
        feedback.clear_invalid(fields)
        try:
            user = await self.me.act(
                users.create_user, email=self.email.value or '', password=self.password.value or '', role=self.role.value
            )
        except DomainError as error:
            feedback.show_error(fields, error)
            return
        self.email.value = self.password.value = ''
        await self.show()
        feedback.success(f'Added {user.email} as {user.role}')

    async def change_role(self, user: UserView, role: str) -> None:
        if role == user.role:
            return
        try:
            changed = await self.me.act(users.set_role, user.id, role=role)
        except DomainError as error:
            await self.show()
            feedback.failure(error)
            return
        await self.show()
        feedback.success(f'{changed.email} is now {changed.role}')

    async def toggle(self, user: UserView) -> None:
        try:
            change = await self.me.act(users.set_disabled, user.id, disabled=not user.disabled)
        except DomainError as error:
            feedback.failure(error)
            return
        await self.show()
        if change.user.disabled:
            keys = f'; {change.revoked_keys} API key(s) they created are revoked' if change.revoked_keys else ''
            feedback.success(f'{change.user.email} is disabled and signed out{keys}')
        else:
            feedback.success(f'{change.user.email} is enabled')
