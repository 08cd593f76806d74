@http
Feature: Verifying a signed PDF
  Anyone holding a PDF can ask Undersign whether it still holds: every signature
  intact and made with a certificate we trust, nothing changed after the last one,
  and enough proof in the file itself that it keeps verifying for years.

  Background:
    Given an envelope sent over the API to "Ada" and then "Bob"
    And "Ada" and then "Bob" have signed it, so the platform sealed the final PDF

  Scenario: The final PDF of a completed envelope verifies
    When the final PDF is verified
    Then the document is valid
    And the signatures of "Ada", "Bob" and the platform seal are each intact and trusted
    And every signature reaches PAdES level B-LTA

  Scenario: One changed letter in a signed part breaks the signature that covers it
    Given someone changes one letter of the signature stamp of "Bob" in the final PDF
    When the PDF is verified
    Then the document is not valid
    And the verdict names the signature of "Bob" as changed after signing
    But the signature of "Ada", made before that part was added, is still intact and valid

  Scenario: A change added after the platform seal is reported
    Given someone adds a note to the first page of the final PDF without signing it
    When the PDF is verified
    Then the document is not valid
    And every signature is still intact
    And the verdict says the document was changed after its last signature

  Scenario: The final PDF cut just before the platform seal says the seal is missing
    Given someone cuts the final PDF just before the platform seal
    When the PDF is verified
    Then the document is not valid
    And the signatures of "Ada" and "Bob" are intact and trusted, and there is no other
    And the verdict says the platform seal is missing

  Scenario: The document still verifies two years from now, after the signers' certificates expired
    When the final PDF is verified as of two years from now
    Then the certificates of "Ada" and "Bob" have expired by then
    And the document is valid
    And every signature reaches PAdES level B-LTA
