"""Wires Hypersigil together: settings -> database -> core -> worker; the dashboard with the API at /api/v1; the CLI."""

import sys

from nicegui import app, ui

from core.settings import Settings

COMMANDS = ('serve', 'worker', 'migrate')


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 and argv[1] in COMMANDS else 'serve'
    settings = Settings.from_env()
    if command == 'migrate':
        from core.app import build_core

        build_core(settings)
        print('database is up to date')
        return
    serve(settings)


def serve(settings: Settings) -> None:
    @ui.page('/')
    def index() -> None:
        ui.label('Hypersigil')

    ui.run(host=settings.host, port=settings.port, title='Hypersigil', reload=False, show=False)


if __name__ in {'__main__', '__mp_main__'}:
    main(sys.argv)
