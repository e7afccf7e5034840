"""Times in the browser's own time zone, with the UTC time on hover.

The server knows only UTC; the browser knows its zone. A time is drawn as its UTC text marked with `data-utc`, and a
small script in every page rewrites each marked element to the browser's local time (again whenever it changes).
"""

from datetime import datetime

from nicegui import ui

from ui import display

LOCALIZE = """<script>
(() => {
  const local = e => {
    const moment = new Date(e.dataset.utc);
    if (isNaN(moment)) return;
    const text = moment.toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'medium'});
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
</script>"""


def localize_times() -> None:
    """Add the rewriting script to the page being built (the frame does, once per page)."""
    ui.add_body_html(LOCALIZE)


def local_time(moment: datetime | None) -> ui.label:
    """A label showing `moment` in the browser's time zone, its UTC time as the tooltip (and until the script runs)."""
    label = ui.label(display.when(moment))
    if moment is not None:
        label.props(f'data-utc="{moment.isoformat()}" title="{display.when(moment)}"').mark('local-time')
    return label
