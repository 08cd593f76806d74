Feature: Sending an envelope
  A sender puts a document in an envelope, says who signs it and where,
  and sends it. From then on the envelope is frozen and the recipients act.

  Background:
    Given a tenant "acme" with an API key

  Scenario: A complete envelope is sent to its first signer
    Given a draft envelope "Lease agreement" with a two-page document
    And "Ada" is a signer with a signature field on page 2
    When the sender sends the envelope
    Then the envelope is sent
    And "Ada" is notified

  Scenario: An envelope without a document cannot be sent
    Given a draft envelope "Empty" with no document
    And "Ada" is a signer
    When the sender tries to send the envelope
    Then the sender is told "at least one document"
    And the envelope is still a draft

  Scenario: An envelope with only a carbon copy cannot be sent
    Given a draft envelope "Notice" with a two-page document
    And "Carl" receives a copy
    When the sender tries to send the envelope
    Then the sender is told "at least one signer or approver"

  @http
  Scenario: The whole lifecycle over the API ends in a sealed PDF
    Given an envelope sent over the API to "Ada" and then "Bob"
    When "Ada" signs through her link
    And "Bob" signs through his link
    Then the envelope is completed
    And the final PDF holds 3 valid signatures
