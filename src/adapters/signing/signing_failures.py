"""What went wrong signing, in the platform's words: pyHanko's refusals as SigningFailed, with their reasons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyhanko.pdf_utils.misc import PdfError
from pyhanko_certvalidator.errors import PathError, ValidationError

from undersign.adapters.signing.pdf_forms import FormError
from undersign.application.shared.errors import SigningFailed


@contextmanager
def signing_failures(action: str) -> Iterator[None]:
    """Turn pyHanko's refusals into SigningFailed, with its reason (and the reason behind it)."""
    try:
        yield
    # pyHanko's SigningError is a ValueError, and cryptography rejects an unusable name or
    # email (say, a non-ASCII address) with one. The certificate validator's errors come
    # through bare when a TSA's certificate does not validate.
    except (PdfError, ValueError, FormError, PathError, ValidationError) as error:
        cause = f" ({error.__cause__})" if error.__cause__ else ""
        raise SigningFailed(f"could not {action}: {error}{cause}") from error
