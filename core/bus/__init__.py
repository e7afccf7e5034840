"""Carrying the event bus between processes: PostgreSQL LISTEN/NOTIFY, or Unix datagram sockets on one machine.

`transport.Transport` is what the in-process bus uses: `publish(event)` hands an event to every other listening process
without waiting; `listen(deliver, on_gap=...)` delivers theirs on this process's event loop. `factory.transport_for`
picks the transport for the database in the settings.
"""
