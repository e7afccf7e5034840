"""Signatures per Standard Webhooks, checked by the specification's own Python library, as a receiver would."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from core.webhooks.signing import generate_secret, signature_headers

BODY = json.dumps({'type': 'execution.completed', 'data': {'id': 'e-1', 'result': 'héllo ✓'}}).encode()


def test_a_signed_body_verifies_with_the_standardwebhooks_library():
    secret = generate_secret()
    headers = signature_headers(message_id='msg_1', body=BODY, secrets=[secret])
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert headers['webhook-id'] == 'msg_1'
    assert headers['webhook-signature'].startswith('v1,')
    assert abs(int(headers['webhook-timestamp']) - datetime.now(UTC).timestamp()) < 60


def test_a_tampered_body_fails_verification():
    secret = generate_secret()
    headers = signature_headers(message_id='msg_1', body=BODY, secrets=[secret])
    with pytest.raises(WebhookVerificationError, match='No matching signature'):
        Webhook(secret).verify(BODY.replace(b'e-1', b'e-2'), headers)


def test_a_signature_made_ten_minutes_ago_fails_verification():
    secret = generate_secret()
    headers = signature_headers(message_id='msg_1', body=BODY, secrets=[secret], at=datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError, match='too old'):
        Webhook(secret).verify(BODY, headers)


def test_the_timestamp_is_signed_so_moving_it_fails_verification():
    secret = generate_secret()
    headers = signature_headers(message_id='msg_1', body=BODY, secrets=[secret])
    moved = {**headers, 'webhook-timestamp': str(int(headers['webhook-timestamp']) + 1)}
    with pytest.raises(WebhookVerificationError, match='No matching signature'):
        Webhook(secret).verify(BODY, moved)


def test_the_message_id_is_signed_so_changing_it_fails_verification():
    secret = generate_secret()
    headers = signature_headers(message_id='msg_1', body=BODY, secrets=[secret])
    with pytest.raises(WebhookVerificationError, match='No matching signature'):
        Webhook(secret).verify(BODY, {**headers, 'webhook-id': 'msg_2'})


def test_a_receiver_holding_another_secret_cannot_verify():
    headers = signature_headers(message_id='msg_1', body=BODY, secrets=[generate_secret()])
    with pytest.raises(WebhookVerificationError, match='No matching signature'):
        Webhook(generate_secret()).verify(BODY, headers)


def test_during_a_rotation_a_receiver_holding_either_secret_verifies():
    old, new = generate_secret(), generate_secret()
    headers = signature_headers(message_id='msg_1', body=BODY, secrets=[new, old])
    signatures = headers['webhook-signature'].split(' ')
    assert len(signatures) == 2
    assert all(signature.startswith('v1,') for signature in signatures)
    assert Webhook(old).verify(BODY, headers) == json.loads(BODY)
    assert Webhook(new).verify(BODY, headers) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers)


def test_a_secret_is_whsec_and_32_random_bytes_in_base64():
    first, second = generate_secret(), generate_secret()
    assert first.startswith('whsec_')
    assert len(base64.b64decode(first.removeprefix('whsec_'), validate=True)) == 32
    assert first != second


def test_signing_without_a_secret_is_refused():
    with pytest.raises(ValueError, match='at least one secret'):
        signature_headers(message_id='msg_1', body=BODY, secrets=[])
