Feature: Signers prove who they are
  A signing link is enough only when the policy says so. Otherwise the signer passes a second
  check before seeing the documents: a code sent by email or by text message, an access code the
  sender handed over in person, or a sign-in at the organisation's identity provider. The sender
  may choose another check for one signer. Five wrong answers in a row lock the signer out until
  the sender lets them in again. How each signer was checked is part of the evidence of their
  signature.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Loan offer" with a two-page document

  Scenario: A link alone is enough when the policy asks nothing more
    Given "Ada" is a signer
    And the sender sends the envelope
    When "Ada" opens her link
    Then "Ada" sees the documents
    When "Ada" signs after passing her check
    Then the evidence of the signature of "Ada" says she was checked by "link"

  Scenario: A code sent by email lets the signer in
    Given "Ada" is a signer who receives a code by email
    And the sender sends the envelope
    When "Ada" opens her link
    Then "Ada" does not see the documents yet
    And "Ada" cannot sign yet
    When "Ada" asks for a code
    Then a code reaches "Ada" by email
    When "Ada" enters the code she received
    Then "Ada" sees the documents
    When "Ada" signs after passing her check
    Then the evidence of the signature of "Ada" says she was checked by "email_otp"
    And the audit trail records that a code went to "Ada" and that she passed her check

  Scenario: A code works once
    Given "Ada" is a signer who receives a code by email
    And the sender sends the envelope
    When "Ada" asks for a code
    And "Ada" enters the code she received
    And "Ada" enters the code she received again
    Then "Ada" is told "ask for a new one"

  Scenario: A code sent by text message lets the signer in
    Given "Ada" is a signer who receives a code by text message at "+44 20 7946 0123"
    And the sender sends the envelope
    When "Ada" asks for a code
    Then a code reaches "Ada" by text message at "+442079460123"
    When "Ada" enters the code she received
    Then "Ada" sees the documents

  Scenario: A signer who gets codes by text message needs a phone number
    Given "Ada" is a signer who receives codes by text message but has no phone number
    When the sender tries to send the envelope
    Then the sender is told "has no phone number"
    And the envelope is still a draft

  Scenario: An access code the sender handed over lets the signer in
    Given "Ada" is a signer with the access code "blue-harbour-7"
    And the sender sends the envelope
    When "Ada" enters "blue-harbour-7"
    Then "Ada" sees the documents
    When "Ada" signs after passing her check
    Then the evidence of the signature of "Ada" says she was checked by "access_code"

  Scenario: Five wrong answers lock the signer out until the sender lets them in again
    Given "Ada" is a signer with the access code "blue-harbour-7"
    And the sender sends the envelope
    When "Ada" enters "blue-harbor-7" 4 times
    Then "Ada" is told "1 tries left"
    When "Ada" enters "blue-harbor-7"
    Then "Ada" is locked out
    When "Ada" enters "blue-harbour-7"
    Then "Ada" is locked out
    And the audit trail records that "Ada" was locked out after 5 failed checks
    When the sender lets "Ada" in again
    And "Ada" enters "blue-harbour-7"
    Then "Ada" sees the documents

  Scenario: Only a policy that allows it lets the sender's application check signers itself
    Given "Ada" is a signer who receives a code by email
    And the sender sends the envelope
    When the sender's application opens the signing page for "Ada", having checked her by "Acme portal single sign-on"
    Then the sender is told "does not let your application authenticate its recipients"

  Scenario: The sender may ask more of a signer than the policy does, never less
    Given the tenant's policy asks signers for a code by text message
    And "Ada" is a signer whose link alone is enough
    When the sender tries to send the envelope
    Then the sender is told "weaker than the sms_otp this envelope's policy asks for"
    And the envelope is still a draft

  Scenario: Signing in at the organisation's identity provider
    Given "Ada" is a signer who signs in at the organisation's identity provider
    And the sender sends the envelope
    When "Ada" signs in as "eve@example.com"
    Then "Ada" is told "not this recipient's email address"
    And "Ada" does not see the documents yet
    When "Ada" signs in as "ada@example.com"
    Then "Ada" sees the documents
    When "Ada" signs after passing her check
    Then the evidence of the signature of "Ada" says she was checked by "oidc"

  Scenario: The sender's own application checked the signer and frames the signing page
    Given the tenant's policy lets senders' applications check signers themselves
    And "Ada" is a signer who receives a code by email
    And the sender sends the envelope
    When the sender's application opens the signing page for "Ada", having checked her by "Acme portal single sign-on"
    Then "Ada" sees the documents
    When "Ada" signs after passing her check
    Then the evidence of the signature of "Ada" says she was checked by "embedded: Acme portal single sign-on"
