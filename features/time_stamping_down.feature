Feature: When no time-stamping authority answers
  Every signature carries a time stamp from a time-stamping authority, and so does the platform's
  seal. When no authority answers, a signer is asked to try again in a moment, and nothing of the
  attempt is kept: no signature, no half-signed document, no entry in the audit trail. Once an
  authority answers again, the signer signs as if nothing had happened. The seal waits and is tried
  again until an authority answers; then the documents are sealed once and sent to everyone.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Lease" with a two-page document
    And "Ada" is a signer in routing order 1
    And the sender sends the envelope

  Scenario: A signer is asked to try again, nothing of the attempt is kept, and the next try works
    Given the sender has handed "Ada" a signing link
    And no time-stamping authority answers
    When "Ada" tries to sign through that link
    Then "Ada" is asked to try again in a moment
    And nothing of a signature by "Ada" is kept
    When a time-stamping authority answers again
    And "Ada" signs through that link
    Then the envelope is completed
    And "Ada" has signed the document once

  Scenario: The seal waits for a time-stamping authority, and is applied once when one answers
    Given the time-stamping authority does not answer the platform's first 3 tries to seal
    When "Ada" signs
    Then every signer's signature is in the document exactly once
    And the seal failed 3 times before it was applied, and nothing was given up
    And "Ada" has received an email "Completed: Lease" with the sealed document attached
