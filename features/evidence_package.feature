Feature: The evidence package
  Whoever needs to prove what happened to an envelope (an auditor, a court, the other party's
  lawyer) gets its whole evidence in one file: the documents as they were signed and sealed, the
  certificate of completion, the audit trail with its chain of fingerprints, the platform's
  verification of every document, and a list of every file's fingerprint. Anyone can check it on
  their own computer, without the platform, with common tools; a change to any byte of it shows.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Partnership" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 2

  Scenario: A completed envelope's evidence package holds all of its evidence and checks out
    Given the sender sends the envelope
    And "Ada" signs
    And "Bob" signs
    When the sender downloads the envelope's evidence package
    Then it holds the sealed document, the certificate of completion, the audit trail and the verification of each
    And every file in it has the fingerprint its list of fingerprints gives
    And checking the package finds nothing wrong

  Scenario: A package changed after it was handed over no longer checks out, and the check says which file changed
    Given the sender sends the envelope
    And "Ada" signs
    And "Bob" signs
    When the sender downloads the envelope's evidence package
    And someone changes one byte of the document in the package
    Then checking the package finds the document changed

  Scenario: An envelope that was never sent has no evidence package
    When the sender asks for the envelope's evidence package
    Then the sender is told "its evidence package exists once it is sent"
