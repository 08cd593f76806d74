@http
Feature: Names in every script
  People sign under their own names, written the way they write them: Arabic, Chinese,
  Polish, or several scripts and directions at once. Each signer's certificate carries the
  name (a name that mixes right-to-left and left-to-right writing as one common name per
  stretch of one direction, which every validator can read), and verifying the final PDF
  gives it back as written. The certificate of completion shows each name as written too,
  Arabic joined and right to left, in fonts carried inside the file.

  Scenario Outline: Signers named in <scripts> sign, and the final PDF names them as written
    Given an envelope sent over the API to "<first>" and then "<second>"
    And "<first>" and then "<second>" have signed it, so the platform sealed the final PDF
    When the final PDF is verified
    Then the document is valid
    And the signatures of "<first>", "<second>" and the platform seal are each intact and trusted
    And the certificate of completion names "<first>" and "<second>" as written, in embedded fonts

    Examples:
      | scripts                           | first                | second        |
      | Arabic and Chinese                | محمد بن علي           | 王芳           |
      | mixed directions and Polish       | Zoë Ŝtraße 王芳 محمد  | Łukasz Żółć   |
      | Arabic with a Latin name inside   | Ali محمد بن علي Jr    | محمد 2         |
