Feature: The certificate of completion
  Once every recipient has acted and the platform has sealed the documents, the platform makes a
  certificate of completion: every recipient, what they did and when, the documents before and
  after each signature, and the audit trail. It is made once and kept, so every download gives the
  very same bytes, whose fingerprint the audit trail records. Before that there is none.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Partnership" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 2
    And the sender sends the envelope

  Scenario: There is no certificate of completion while someone has still to sign
    When "Ada" signs
    And the sender asks for the certificate of completion
    Then the sender is told "its certificate of completion exists once every recipient has acted"

  Scenario: The certificate is made once the envelope is sealed, names every signer, and downloads the same every time
    When "Ada" signs
    And "Bob" signs
    Then the certificate of completion was made once, after the seal
    And it names "Ada" and then "Bob", each as having signed, with the documents as they left them
    And every download of it gives the same bytes, those whose fingerprint the audit trail records
