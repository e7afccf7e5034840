"""One TLS context per process for every provider client.

Building a context loads the CA bundle, 22-26 ms of CPU, and each SDK client builds its own unless given one: the
registry makes a client per credential and event loop, and "Test connection" one per click. A context is safe to share
between clients, threads and loops; it is built as the SDKs build theirs (httpx's defaults, `SSL_CERT_FILE` included).
"""

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
