"""One delivery attempt against a real receiver on 127.0.0.1: signed, vetted at connection time, never redirected."""

import json
import socket

import pytest
from standardwebhooks import Webhook

from core.webhooks.attempts import send
from core.webhooks.signing import generate_secret, signature_headers
from core.webhooks.targets import check_url
from tests.fakes.webhook_receiver import Answer

BODY = json.dumps({'type': 'execution.completed', 'timestamp': '2026-01-01T00:00:00Z', 'data': {'id': 'e-1'}}).encode()


def signed(secret: str = 'whsec_' + 'A' * 44) -> dict[str, str]:
    return signature_headers(message_id='msg_1', body=BODY, secrets=[secret])


async def test_with_allow_private_the_receiver_gets_a_request_it_verifies_with_standardwebhooks(webhook_receiver):
    secret = generate_secret()
    attempt = await send(webhook_receiver.url, BODY, signed(secret), allow_private=True)
    assert attempt.delivered
    assert (attempt.status_code, attempt.response_excerpt, attempt.error, attempt.retryable) == (200, 'ok', None, False)
    [request] = webhook_receiver.requests
    assert (request.method, request.body, request.headers['content-type']) == ('POST', BODY, 'application/json')
    assert Webhook(secret).verify(request.body, request.headers) == json.loads(BODY)


def refused_urls(port: int) -> list[str]:
    return [
        f'http://127.0.0.1:{port}/',
        f'https://127.0.0.1:{port}/',
        'http://10.0.0.1/',
        'https://10.0.0.1/',
        'http://169.254.169.254/latest/meta-data/',
        'https://169.254.169.254/latest/meta-data/',
        f'http://[::1]:{port}/',
        f'https://[::1]:{port}/',
        f'https://localhost:{port}/',
        f'https://[::ffff:127.0.0.1]:{port}/',
    ]


@pytest.mark.parametrize('index', range(len(refused_urls(0))))
async def test_a_non_public_target_is_refused_at_send_without_allow_private(webhook_receiver, index: int):
    url = refused_urls(webhook_receiver.port)[index]
    attempt = await send(url, BODY, signed(), allow_private=False)
    assert attempt.error.startswith('refused: ')
    assert (attempt.status_code, attempt.retryable, attempt.delivered) == (None, False, False)
    assert webhook_receiver.connections == 0


async def test_a_name_rebound_to_loopback_after_saving_is_refused_when_connecting(webhook_receiver, dns):
    url = f'https://rebind.test:{webhook_receiver.port}/'
    dns('rebind.test', ['8.8.8.8', '127.0.0.1'])
    assert check_url(url, allow_private=False) == url  # saved while it pointed outside
    attempt = await send(url, BODY, signed(), allow_private=False)
    assert attempt.error == 'refused: rebind.test resolves to a loopback address'
    assert webhook_receiver.connections == 0


async def test_an_attempt_connects_to_the_addresses_it_vetted_and_never_resolves_again(webhook_receiver, dns):
    # nothing listens on 127.0.0.2: a second lookup would lead the connection there and fail
    lookups = dns('pinned.test', ['127.0.0.1', '127.0.0.2'])
    attempt = await send(f'http://pinned.test:{webhook_receiver.port}/hook', BODY, signed(), allow_private=True)
    assert attempt.delivered
    assert len(lookups) == 1
    [request] = webhook_receiver.requests
    assert (request.path, request.headers['host']) == ('/hook', f'pinned.test:{webhook_receiver.port}')


async def test_tls_to_a_vetted_address_still_asks_for_and_checks_the_host_name(new_webhook_receiver, dns):
    receiver = new_webhook_receiver(tls=True)
    dns('pinned.test', ['127.0.0.1'])
    attempt = await send(f'https://pinned.test:{receiver.port}/', BODY, signed(), allow_private=True)
    assert attempt.error.startswith('the TLS certificate was not accepted')
    assert attempt.retryable
    assert receiver.server_names == ['pinned.test']
    assert receiver.requests == []


async def test_a_redirect_to_loopback_is_not_followed(new_webhook_receiver):
    allowed, inside = new_webhook_receiver(), new_webhook_receiver()
    allowed.redirect_to(inside.url)
    attempt = await send(allowed.url, BODY, signed(), allow_private=True)
    assert attempt.status_code == 302
    assert attempt.error == f'redirect not followed (302 to {inside.url})'
    assert attempt.retryable
    assert len(allowed.requests) == 1
    assert inside.connections == 0


async def test_a_receiver_answering_500_twice_then_200_sees_three_attempts_with_one_webhook_id(webhook_receiver):
    webhook_receiver.script(Answer(500, b'database down'), 500)
    headers = signed()
    attempts = [await send(webhook_receiver.url, BODY, headers, allow_private=True) for _ in range(3)]
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert [a.error for a in attempts] == ['the receiver answered 500', 'the receiver answered 500', None]
    assert [a.retryable for a in attempts] == [True, True, False]
    assert attempts[0].response_excerpt == 'database down'
    assert {request.headers['webhook-id'] for request in webhook_receiver.requests} == {'msg_1'}
    assert len(webhook_receiver.requests) == 3


async def test_a_receiver_that_never_answers_is_timed_out_at_the_timeout(webhook_receiver):
    webhook_receiver.hang()
    attempt = await send(webhook_receiver.url, BODY, signed(), timeout=0.5, allow_private=True)
    assert attempt.error == 'timed out after 0.5 s'
    assert (attempt.status_code, attempt.retryable) == (None, True)
    assert 500 <= attempt.duration_ms < 5000  # the upper bound only catches a missing timeout, under any load
    assert len(webhook_receiver.requests) == 1


async def test_a_slow_receiver_within_the_timeout_is_delivered_and_timed(webhook_receiver):
    webhook_receiver.answer_slowly(0.2)
    attempt = await send(webhook_receiver.url, BODY, signed(), timeout=5, allow_private=True)
    assert attempt.delivered
    assert attempt.duration_ms >= 200


async def test_the_response_excerpt_is_the_first_kilobyte_without_a_broken_character(webhook_receiver):
    webhook_receiver.script(Answer(500, ('a' + 'é' * 5000).encode()))  # byte 1024 is half an é
    attempt = await send(webhook_receiver.url, BODY, signed(), allow_private=True)
    assert attempt.response_excerpt == 'a' + 'é' * 511
    assert len(attempt.response_excerpt.encode()) == 1023


async def test_a_response_that_is_not_utf8_is_decoded_safely(webhook_receiver):
    webhook_receiver.script(Answer(200, b'\xff\xfe accepted'))
    attempt = await send(webhook_receiver.url, BODY, signed(), allow_private=True)
    assert attempt.response_excerpt == '\ufffd\ufffd accepted'


async def test_a_closed_port_is_connection_refused_and_the_url_token_stays_out_of_the_error():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    attempt = await send(f'http://127.0.0.1:{port}/hook?token=s3cret-token', BODY, signed(), allow_private=True)
    assert attempt.error == 'connection refused'
    assert attempt.retryable
    assert 's3cret-token' not in repr(attempt)


async def test_a_name_that_does_not_resolve_is_a_failure_to_retry(dns):
    dns('gone.test', ['not-an-address'])
    attempt = await send('https://gone.test/', BODY, signed(), allow_private=False)
    assert (attempt.error, attempt.retryable) == ('the host name does not resolve', True)


@pytest.mark.parametrize(
    ('url', 'reason'),
    [
        ('ftp://127.0.0.1/', 'refused: must use https or http'),
        ('http://user:password@127.0.0.1/', 'refused: must not contain a user name or password'),
        ('http://127.0.0.1/' + 'a' * 3000, 'refused: must be at most 2000 characters'),
    ],
)
async def test_a_malformed_url_is_refused_at_send_and_not_retried(url: str, reason: str):
    attempt = await send(url, BODY, signed(), allow_private=True)
    assert (attempt.error, attempt.retryable) == (reason, False)
