@http
Feature: Long-term validation: archive renewal
  A sealed B-LTA document keeps proving itself for as long as its last document time stamp
  can be checked, that is until the time-stamping authority's certificate behind it ends.
  Before then, the operator's archive renewal (`undersign archive renew`, run daily) adds a
  new document time stamp from a newer certificate. The time-stamping authority signs with
  a new certificate every year, each valid ten years, so a renewal always outlives the time
  stamp it renews.

  Background:
    Given an envelope sent over the API to "Ada" and then "Bob"
    And "Ada" and then "Bob" have signed it, so the platform sealed the final PDF

  Scenario: A renewal five years on comes from a newer certificate that outlives the first
    When the operator renews the archive five years from now
    Then the final PDF has one more document time stamp
    And its certificate ends about five years after the one of the time stamp it renews

  Scenario: A renewal that would not outlive the current time stamp is refused
    When the operator renews the archive today
    Then the renewal is refused because the new time stamp would end no later than the current one
    And the final PDF is unchanged
