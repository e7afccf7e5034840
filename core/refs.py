"""References to records: `{ref}` in a URL is either an id (a UUID) or a name, never both."""

import uuid


def looks_like_uuid(text: str) -> bool:
    """True for anything uuid.UUID accepts (with or without dashes, braces or a urn: prefix)."""
    try:
        uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return False
    return True
