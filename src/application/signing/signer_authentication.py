"""The signer's authentication: what a recipient must pass before they see or act on their envelope.

The method is the envelope's policy's (`Policy.signer_auth`) unless the sender chose another
for that recipient. Link only needs nothing more; an email or SMS code is sent on request and
checked once; an access code was handed over by the sender out of band; OIDC is a sign-in at
the installation's provider whose verified email must be the recipient's. Five wrong tries lock
the recipient until the sender unlocks them or sends them a new link. Every step is in the
envelope's audit chain (code sent, failed, locked, passed).

Passing yields a `SignerPass`: the HTTP layer seals it into a cookie (entrypoints/http/
signer_passes.py), and the signing use cases take it back to check it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from undersign.application.access.credential_ports import PasswordHasher
from undersign.application.access.identity_ports import SignInProvider
from undersign.application.shared.errors import (
    CodeExpired,
    SignerAuthenticationRequired,
    SignerLocked,
    TooManyRequests,
    WrongCode,
)
from undersign.application.shared.loading import require_open_link
from undersign.application.shared.messages import CodeMessages, Mailer, SignerCode, SmsSender
from undersign.application.shared.ports import Clock, SecretGenerator
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.envelope import Envelope
from undersign.domain.errors import InvalidState
from undersign.domain.policy import SignerAuth
from undersign.domain.signer import Signer, normalize_email
from undersign.domain.signer_authentication import (
    CODE_LIFETIME,
    CODE_METHODS,
    MAX_CODES_SENT,
    CodeCheck,
    masked_email,
    masked_phone,
)
from undersign.domain.signing_link import SigningLink


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerPass:
    """Proof that whoever holds link `link_id` passed its authentication at `at`."""

    link_id: str
    signer_id: str
    method: SignerAuth
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticationState:
    """Where a recipient stands with their authentication, as their page shows it."""

    method: SignerAuth  # what they must pass; LINK: nothing more than the link
    passed: bool  # the pass given (or an embedded link, or LINK) lets them in
    locked: bool  # too many wrong tries: only the sender can let them in again
    destination: str | None  # where a code goes, masked ("j•••@example.com", "•••• 1234"); None otherwise
    code_sent: bool  # a code is outstanding and has not expired
    attempts_left: int


PASS_LIFETIME = timedelta(hours=1)  # a pass outlives a coffee break, not a day
CODE_DIGITS = 6
MAX_ACCESS_CODE_CHECKS = 4  # access codes checked at once in this process


def pass_admits(signer_pass: SignerPass | None, *, link: SigningLink, method: SignerAuth, now: datetime) -> bool:
    """Whether `signer_pass` lets its holder in through `link` now: earned on this very link, by the method asked."""
    return (
        signer_pass is not None
        and signer_pass.link_id == link.id
        and signer_pass.signer_id == link.signer_id
        and signer_pass.method is method
        and signer_pass.at <= now < signer_pass.at + PASS_LIFETIME
    )


def state_of(envelope: Envelope, link: SigningLink, signer_pass: SignerPass | None, now: datetime) -> AuthenticationState:
    """Where the link's recipient stands: what they must pass, and whether they have."""
    method = envelope.auth_method_of(link.signer_id)
    signer = envelope.signer(link.signer_id)
    passed = (
        method is SignerAuth.LINK
        or link.embedded_by is not None
        or pass_admits(signer_pass, link=link, method=method, now=now)
    )
    destination = None
    if method is SignerAuth.EMAIL_OTP:
        destination = masked_email(signer.email)
    elif method is SignerAuth.SMS_OTP and signer.auth.phone:
        destination = masked_phone(signer.auth.phone)
    return AuthenticationState(
        method=method, passed=passed, locked=signer.auth.locked, destination=destination,
        code_sent=signer.auth.code_outstanding(now), attempts_left=signer.auth.attempts_left,
    )


def require_passed(envelope: Envelope, link: SigningLink, signer_pass: SignerPass | None, now: datetime) -> AuthenticationState:
    """The recipient's state, if they passed what their link asks; else SignerAuthenticationRequired (or SignerLocked)."""
    state = state_of(envelope, link, signer_pass, now)
    if state.passed:
        return state
    if state.locked:
        raise SignerLocked("too many wrong codes: ask the sender to let you in again or to send you a new link")
    raise SignerAuthenticationRequired(f"this link asks for {state.method.value} authentication before anything else")


def evidence_method(link: SigningLink, state: AuthenticationState) -> str:
    """How the recipient was authenticated, as their signature's evidence says it."""
    if link.embedded_by is not None:
        return f"embedded: {link.embedded_by}"
    return state.method.value


def hash_one_time_code(code: str, *, signer_id: str) -> str:
    """One-time codes live minutes and are checked five times at most: a salted SHA-256 keeps them out of a dump."""
    return hashlib.sha256(f"undersign code\0{signer_id}\0{code}".encode()).hexdigest()


class SignerAuthentication:
    """The recipient's authentication step (see the module's docstring)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secrets: SecretGenerator,
        passwords: PasswordHasher,
        mailer: Mailer,
        sms: SmsSender,
        messages: CodeMessages,
        mail_domain: str,
        sign_in: SignInProvider | None = None,
    ) -> None:
        self._uow, self._clock, self._secrets, self._passwords = uow, clock, secrets, passwords
        self._mailer, self._sms, self._messages, self._mail_domain = mailer, sms, messages, mail_domain
        self._sign_in = sign_in
        self._access_code_checks = asyncio.Semaphore(MAX_ACCESS_CODE_CHECKS)

    async def state(self, token: str, signer_pass: SignerPass | None) -> AuthenticationState:
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_open_link(uow, token, now)
            return state_of(envelope, link, signer_pass, now)

    async def send_code(self, token: str, *, language: str = "en") -> AuthenticationState:
        """A new code by email or SMS (it replaces the last one); one every CODE_RESEND_PAUSE at most.

        The code's hash is committed before the code leaves, so a code that arrives always works;
        if the mail or SMS gateway refuses it, the recipient asks again (ServiceUnavailable).
        """
        code = self._secrets.new_code(CODE_DIGITS)
        sent = await retry_on_conflict(lambda: self._issue_code(token, code))
        link, envelope, signer, method, tenant_name = sent
        text = SignerCode(
            recipient_name=signer.name, sender_name=tenant_name, subject=envelope.subject, code=code,
            minutes_valid=int(CODE_LIFETIME.total_seconds() // 60), language=language,
        )
        message_id = f"<code.{envelope.id}.{signer.id}.{self._secrets.new_code(8)}@{self._mail_domain}>"
        if method is SignerAuth.EMAIL_OTP:
            await self._mailer.send(self._messages.email(text, to=signer.email, message_id=message_id))
        else:
            await self._sms.send(self._messages.sms(text, to=signer.auth.phone or "", message_id=message_id))
        return state_of(envelope, link, None, self._clock.now())

    async def verify(self, token: str, code: str) -> SignerPass:
        """Check a one-time or access code; a pass when it is right, else WrongCode, SignerLocked or CodeExpired."""
        async with self._uow() as uow:
            link, envelope = await require_open_link(uow, token, self._clock.now())
            method, signer = envelope.auth_method_of(link.signer_id), envelope.signer(link.signer_id)
        if signer.auth.locked:  # before any hashing: a locked recipient costs nothing more
            raise SignerLocked("too many wrong answers: ask the sender to let you in again or to send you a new link")
        if method is SignerAuth.ACCESS_CODE:
            # Argon2 off the event loop, so a stolen table does not give the code away; a few at a time,
            # so a link's holder cannot tie up every thread and much memory with parallel guesses.
            async with self._access_code_checks:
                correct = await asyncio.to_thread(self._passwords.verify, signer.auth.access_code_hash or "", code)
            return await self._answer(token, method, lambda _: correct)
        if method in CODE_METHODS:
            presented = hash_one_time_code(code, signer_id=signer.id)
            # Judged against the code outstanding when the answer is recorded, so a code replaced
            # (or used) meanwhile never passes.
            return await self._answer(token, method, lambda s: hmac.compare_digest(presented, s.auth.code_hash or ""))
        raise InvalidState(f"this recipient authenticates by {method.value}, not with a code")

    async def begin_sign_in(self, token: str) -> tuple[str, bytes]:
        """Where to send an OIDC recipient's browser to sign in, and the sign-in it must bring back
        (the HTTP layer seals it, with the link, into a cookie)."""
        async with self._uow() as uow:
            link, envelope = await require_open_link(uow, token, self._clock.now())
            method, signer = envelope.auth_method_of(link.signer_id), envelope.signer(link.signer_id)
        if method is not SignerAuth.OIDC:
            raise InvalidState(f"this recipient authenticates by {method.value}, not by signing in")
        if signer.auth.locked:
            raise SignerLocked("too many failed sign-ins: ask the sender to let you in again or to send you a new link")
        return await self._provider().begin()

    async def finish_sign_in(self, token: str, pending: bytes, answer: Mapping[str, str]) -> SignerPass:
        """The provider's answer checked (SignInRejected if it is not good), then its verified email against the recipient's."""
        verified = await self._provider().finish(pending, answer)
        return await self.pass_sign_in(token, verified_email=verified.email, issuer=verified.issuer)

    def _provider(self) -> SignInProvider:
        if self._sign_in is None:
            raise InvalidState("this installation offers recipients no sign-in: the operator names none")
        return self._sign_in

    async def pass_sign_in(self, token: str, *, verified_email: str | None, issuer: str) -> SignerPass:
        """An identity provider's answer for an OIDC recipient: it passes when its verified email is theirs."""
        async with self._uow() as uow:
            link, envelope = await require_open_link(uow, token, self._clock.now())
            method = envelope.auth_method_of(link.signer_id)
        if method is not SignerAuth.OIDC:
            raise InvalidState(f"this recipient authenticates by {method.value}, not by signing in")
        matches = verified_email is not None and normalize_email(verified_email)
        return await self._answer(token, method, lambda s: matches == s.email, detail=issuer)

    async def _answer(
        self, token: str, method: SignerAuth, judge: Callable[[Signer], bool], detail: str | None = None
    ) -> SignerPass:
        outcome, link, attempts_left = await retry_on_conflict(lambda: self._record_answer(token, judge, detail))
        if outcome is CodeCheck.PASSED:
            return SignerPass(link_id=link.id, signer_id=link.signer_id, method=method, at=self._clock.now())
        if outcome is CodeCheck.LOCKED:
            raise SignerLocked("too many wrong answers: ask the sender to let you in again or to send you a new link")
        if outcome is CodeCheck.EXPIRED:
            raise CodeExpired("this code was used, replaced or has expired: ask for a new one")
        if method is SignerAuth.OIDC:
            raise WrongCode("the account you signed in with is not this recipient's email address", attempts_left=attempts_left)
        raise WrongCode(f"that code is not right: {attempts_left} tries left", attempts_left=attempts_left)

    async def _issue_code(self, token: str, code: str) -> tuple[SigningLink, Envelope, Signer, SignerAuth, str]:
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_open_link(uow, token, now)
            signer, method = envelope.signer(link.signer_id), envelope.auth_method_of(link.signer_id)
            if signer.auth.locked:
                raise SignerLocked("too many wrong codes: ask the sender to let you in again or to send you a new link")
            if signer.auth.codes_used_up:
                raise SignerLocked(
                    f"{MAX_CODES_SENT} codes were sent already: ask the sender to let you in again or to send you a new link"
                )
            next_at = signer.auth.next_code_at()
            if next_at is not None and now < next_at:
                wait = max(1, math.ceil((next_at - now).total_seconds()))
                raise TooManyRequests(f"a code was just sent: ask again in {wait} s", retry_after_seconds=wait)
            destination = masked_email(signer.email) if method is SignerAuth.EMAIL_OTP else masked_phone(signer.auth.phone or "")
            envelope.record_code_sent(
                signer_id=signer.id, code_hash=hash_one_time_code(code, signer_id=signer.id),
                destination=destination, now=now, actor=f"signer:{signer.id}",
            )
            tenant = await uow.tenants.get(envelope.tenant_id)
            await uow.envelopes.save(envelope)
            await uow.commit()
        return link, envelope, signer, method, tenant.display_name if tenant else ""

    async def _record_answer(
        self, token: str, judge: Callable[[Signer], bool], detail: str | None
    ) -> tuple[CodeCheck, SigningLink, int]:
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_open_link(uow, token, now)
            outcome = envelope.record_answer(
                signer_id=link.signer_id, correct=judge(envelope.signer(link.signer_id)), now=now, actor=f"signer:{link.signer_id}", detail=detail
            )
            if envelope.events:
                await uow.envelopes.save(envelope)
                await uow.commit()
            return outcome, link, envelope.signer(link.signer_id).auth.attempts_left
