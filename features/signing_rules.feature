Feature: What a signature needs
  A signature counts only when it is given as the rules say: through a signing link that still
  works, with the signer's consent to sign electronically, and with every field the sender made
  required filled in. A signing link works for a limited time, set by the operator (here, a week);
  after that the signer asks the sender for a new one, which works. A signature that misses any
  of this is refused with the reason, and nothing of it is kept.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Lease" with a two-page document

  Scenario: An expired signing link is refused, and a new one works
    Given "Ada" is a signer
    And the sender sends the envelope
    And the sender has handed "Ada" a signing link
    When 6 days pass
    Then "Ada" can still open that link
    When 1 more day passes
    And "Ada" tries to sign through that link
    Then "Ada" is told "this signing link has expired: ask the sender for a new one"
    And nothing of a signature by "Ada" is kept
    When the sender hands "Ada" a new signing link
    And "Ada" signs through that link
    Then the envelope is completed

  Scenario: Signing without consent to sign electronically is refused, and nothing is kept
    Given "Ada" is a signer
    And the sender sends the envelope
    When "Ada" tries to sign without giving her consent
    Then "Ada" is told "signing needs the recipient's consent to sign electronically"
    And nothing of a signature by "Ada" is kept

  Scenario: Signing with a required field left empty is refused, and nothing is kept
    Given "Ada" is a signer with a required text field and a required tick box
    And the sender sends the envelope
    When "Ada" tries to sign with her required text field left empty
    Then "Ada" is told "is required"
    And nothing of a signature by "Ada" is kept
    When "Ada" tries to sign with her required tick box left unticked
    Then "Ada" is told "is a required checkbox and must be checked"
    And nothing of a signature by "Ada" is kept
    When "Ada" signs with her required fields filled in
    Then the envelope is completed
