"""Times in the browser's own time zone, with the UTC time on hover.

The server knows only UTC; the browser knows its zone. A label's time is drawn as its UTC text marked with `data-utc`,
and a small script in every page rewrites each marked element to the browser's local time (again whenever it changes).
A table's time column holds the ISO UTC time in its rows (so it sorts by the real moment) and a cell template formats
it in the browser.
"""

from datetime import UTC, datetime

from nicegui import ui

from ui import display

# "1 Dec, 14:05" in the viewer's own language and zone; the year only when it is not this one. `at` is a Date.
SHORT_OPTIONS = (
    "{day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', "
    "year: at.getFullYear() === new Date().getFullYear() ? undefined : 'numeric'}"
)

LOCALIZE = """<script>
(() => {
  const local = e => {
    const at = new Date(e.dataset.utc);
    if (isNaN(at)) return;
    const options = e.dataset.short !== undefined ? SHORT_OPTIONS : {dateStyle: 'medium', timeStyle: 'medium'};
    const text = at.toLocaleString(undefined, options);
    if (e.textContent !== text) e.textContent = text;
  };
  const within = node => {
    const element = node.nodeType === 1 ? node : node.parentElement;
    if (!element) return;
    if (element.dataset.utc) local(element);
    element.querySelectorAll('[data-utc]').forEach(local);
  };
  new MutationObserver(changes => changes.forEach(change => within(change.target)))
    .observe(document.body, {childList: true, subtree: true, characterData: true});
  within(document.body);
})();
</script>""".replace('SHORT_OPTIONS', SHORT_OPTIONS)

# a table cell for an ISO UTC time: local and short, the UTC time (as display.when writes it) on hover
TIME_CELL = """
<q-td :props="props">
  <span v-if="props.value" class="local-time" :title="props.value.slice(0, 19).replace('T', ' ') + ' UTC'">
    {{ ((at) => at.toLocaleString(undefined, SHORT_OPTIONS))(new Date(props.value)) }}
  </span>
  <span v-else>—</span>
</q-td>
""".replace('SHORT_OPTIONS', SHORT_OPTIONS)


def localize_times() -> None:
    """Add the rewriting script to the page being built (the frame does, once per page)."""
    ui.add_body_html(LOCALIZE)


def local_time(moment: datetime | None, *, short: bool = False) -> ui.label:
    """A label showing `moment` in the browser's time zone, its UTC time as the tooltip (and until the script runs);
    `short`: "1 Dec, 14:05", as in the tables."""
    label = ui.label(display.when(moment))
    if moment is not None:
        label.props(f'data-utc="{iso(moment)}" title="{display.when(moment)}"').mark('local-time')
        if short:
            label.props('data-short')
    return label


def time_columns(table: ui.table, *names: str) -> None:
    """Draw the table's columns `names` (whose row values come from `iso`) in the viewer's local time."""
    for name in names:
        table.add_slot(f'body-cell-{name}', TIME_CELL)


def iso(moment: datetime | None) -> str:
    """A table row's value for a time: ISO 8601 in UTC, as every browser's Date parses it (milliseconds, 'Z'; Safari
    refuses microseconds), so it also sorts as the moments do; '' for none."""
    if moment is None:
        return ''
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def line_with_times(*parts: str | datetime, classes: str = '') -> ui.row:
    """One line of words and times, each time local and short with its UTC time on hover:
    `line_with_times('last used', moment)`."""
    with ui.row().classes(f'gap-1 items-baseline {classes}') as line:
        for part in parts:
            local_time(part, short=True) if isinstance(part, datetime) else ui.label(part)
    return line
