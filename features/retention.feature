Feature: Retention and legal hold
  An envelope's documents are kept as long as the organisation's policy says, counted from the
  day the envelope ended (completed, declined, voided or expired), and then deleted for good.
  What stays is a record: the envelope, its recipients, the fingerprint of every version of
  every document, and the audit trail, which still proves what happened and still checks out.
  A legal hold, put on by an administrator with a reason, keeps the documents past that date
  until it is released.

  Background:
    Given a tenant "acme" whose policy keeps documents for 30 days
    And a draft envelope "Lease" with a two-page document
    And "Ada" is a signer with a signature field on page 2
    And the sender sends the envelope
    And "Ada" signs

  Scenario: The documents are deleted once the retention period is over
    When the retention run runs 29 days after the envelope was completed
    Then the documents can still be downloaded
    When the retention run runs 30 days after the envelope was completed
    Then the documents can no longer be downloaded because they were deleted under the retention policy
    And the certificate of completion can no longer be downloaded either
    And the envelope still shows the fingerprint of its sealed document
    And the audit trail records that the documents were deleted
    And the audit trail verifies

  Scenario: A legal hold keeps the documents past their retention period
    When an administrator puts the envelope on legal hold because "Dispute with the landlord"
    And the retention run runs 90 days after the envelope was completed
    Then the documents can still be downloaded
    And the envelope shows it is on legal hold because "Dispute with the landlord"

  Scenario: Releasing the hold lets the next retention run delete the documents
    Given an administrator puts the envelope on legal hold because "Dispute with the landlord"
    And the retention run runs 90 days after the envelope was completed
    When the administrator releases the hold because "Dispute settled"
    And the retention run runs 91 days after the envelope was completed
    Then the documents can no longer be downloaded because they were deleted under the retention policy
    And the audit trail records the hold, its release and the deletion, in that order
    And the audit trail verifies

  Scenario: Only administrators put envelopes on legal hold
    When a sender tries to put the envelope on legal hold because "Keep it"
    Then the sender is refused for lack of permission
    And no legal hold stands on the envelope
