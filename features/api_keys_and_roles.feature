Feature: Roles and API keys
  An organisation's systems call Undersign with API keys. Every key has a role, and the role
  says what the key may do: an owner and an admin may do everything (only an owner touches
  owner keys), a sender sends envelopes, a viewer reads them, and an auditor reads only the
  evidence: audit trails, certificates of completion and verification reports.
  Administrators make keys, see them and revoke them. A key stops working the moment it is
  revoked, or once its expiry date has passed. Every key made or revoked is written in the
  organisation's audit log, chained so that no entry can be changed unnoticed; owners and
  auditors read it, those who administer do not.

  Background:
    Given the organisation "acme" has an owner key, an admin key, a sender key, a viewer key and an auditor key
    And the sender has drafted an envelope

  Scenario Outline: Each role may do what the table of permissions says, and nothing else
    When the <role> key tries to <act>
    Then the <role> key is <outcome>

    Examples:
      | role    | act                            | outcome |
      | sender  | create an envelope             | allowed |
      | viewer  | create an envelope             | refused |
      | viewer  | read the envelope              | allowed |
      | auditor | read the envelope              | refused |
      | auditor | read the envelope's audit trail | allowed |
      | viewer  | read the envelope's audit trail | allowed |
      | sender  | make an API key                | refused |
      | auditor | make an API key                | refused |
      | admin   | make an API key                | allowed |
      | sender  | manage webhooks                | refused |
      | admin   | manage webhooks                | allowed |
      | owner   | read the organisation's audit log | allowed |
      | auditor | read the organisation's audit log | allowed |
      | admin   | read the organisation's audit log | refused |
      | sender  | read the organisation's audit log | refused |
      | viewer  | read the organisation's audit log | refused |

  Scenario: A revoked key is refused from then on
    Given the admin has made a sender key for "CRM sync"
    And the "CRM sync" key works
    When the admin revokes the "CRM sync" key
    Then the "CRM sync" key is refused because it was revoked
    When the admin revokes the "CRM sync" key again
    Then it is still revoked since the first time

  Scenario: An expired key is refused
    Given the admin has made a sender key for "Year-end campaign" that expires in 30 days
    When 29 days go by
    Then the "Year-end campaign" key works
    When 1 more day goes by
    Then the "Year-end campaign" key is refused because it has expired

  Scenario: An admin cannot make an owner key, an owner can
    When the admin key tries to make an owner key
    Then the admin key is refused
    When the owner makes an owner key for "Deputy owner"
    Then the "Deputy owner" key works

  Scenario: Only an owner revokes an owner key
    When the admin key tries to revoke the owner key
    Then the admin key is refused
    And the "owner" key works

  Scenario: Creating and revoking a key is recorded in the organisation's audit log, which an auditor can read
    Given the admin has made a sender key for "CRM sync"
    When the admin revokes the "CRM sync" key
    And the admin revokes the "CRM sync" key again
    Then the auditor reads in the audit log that the admin made the "CRM sync" key, then revoked it, once
    And the audit log shows the key's role and description, and never its secret
    And the auditor finds the audit log's chain unbroken
