"""Webhooks on the wire: Standard Webhooks signatures, target safety, and one delivery attempt over HTTP."""
