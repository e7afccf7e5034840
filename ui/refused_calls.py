"""A deployment's refused calls in plain words: how many in the last day, the commonest reason, the newest ones."""

from nicegui import ui

from core import refused_runs
from core.errors import DomainError
from ui import feedback
from ui.local_time import iso, time_columns
from ui.session import SignedIn

# what a status meant for the caller, for readers who do not speak HTTP
STATUS_WORDS = {
    400: 'invalid request',  # as the OpenAI-compatible endpoint says 422
    401: 'key not accepted',
    403: 'key lacks a permission',
    404: 'no such deployment',
    409: 'conflict',
    413: 'request too large',
    422: 'invalid request',
    429: 'over its rate limit',
}
COLUMNS = [
    {'name': 'when', 'label': 'When', 'field': 'when', 'align': 'left'},
    {'name': 'key', 'label': 'API key', 'field': 'key', 'align': 'left'},
    {'name': 'why', 'label': 'Refused as', 'field': 'why', 'align': 'left'},
    {'name': 'message', 'label': 'What the caller was told', 'field': 'message', 'align': 'left', 'classes': 'whitespace-normal'},
]


class RefusedCalls:
    """The card's contents; `load()` fills them."""

    def __init__(self, me: SignedIn, deployment_id: str) -> None:
        self.me, self.deployment_id = me, deployment_id
        self.summary = ui.label().mark('refused-summary')
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='key_').classes('w-full').props('flat dense hide-no-data')
        self.table.mark('refused-calls')
        time_columns(self.table, 'when')
        self.table.visible = False

    async def load(self) -> None:
        try:
            summary = await self.me.act(refused_runs.refusal_summary, self.deployment_id)
        except DomainError as error:
            feedback.failure(error)
            return
        self.summary.text = summary_text(summary)
        self.table.rows = [
            {
                'key_': index,
                'when': iso(refusal.created_at),
                'key': refusal.key_name,
                'why': f'{STATUS_WORDS.get(refusal.status, "refused")} ({refusal.status})',
                'message': refusal.message,
            }
            for index, refusal in enumerate(summary.newest)
        ]
        self.table.visible = bool(summary.newest)


def summary_text(summary: refused_runs.RefusalSummary) -> str:
    if not summary.last_day:
        return 'No call to this deployment was refused in the last 24 h.'
    text = f'Calls refused in the last 24 h: {summary.last_day} — {summary.commonest}'
    return text if summary.commonest_count == summary.last_day else f'{text} ({summary.commonest_count} of them)'


async def unknown_names_note(me: SignedIn) -> None:
    """A line on the deployments page while callers ask for names that match no deployment (typos, deleted ones)."""
    try:
        summary = await me.act(refused_runs.unknown_names_summary, newest=0)
    except DomainError:
        return  # a note, not the page: the list below still works
    if summary.last_day:
        text = (
            f'Calls to names that match no deployment in the last 24 h: {summary.last_day} — '
            f'most often "{summary.commonest}" ({summary.commonest_count})'
        )
        ui.label(text).classes('text-sm text-warning').mark('unknown-names')
