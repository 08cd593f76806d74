"""Shared steps are imported here so pytest-bdd finds them for every feature."""

from tests.bdd.steps.access_steps import *  # noqa: F403
from tests.bdd.steps.archive_steps import *  # noqa: F403
from tests.bdd.steps.background_steps import *  # noqa: F403
from tests.bdd.steps.certificate_steps import *  # noqa: F403
from tests.bdd.steps.evidence_package_steps import *  # noqa: F403
from tests.bdd.steps.evidence_steps import *  # noqa: F403
from tests.bdd.steps.http_steps import *  # noqa: F403
from tests.bdd.steps.lifecycle_steps import *  # noqa: F403
from tests.bdd.steps.notice_steps import *  # noqa: F403
from tests.bdd.steps.people_steps import *  # noqa: F403
from tests.bdd.steps.policy_steps import *  # noqa: F403
from tests.bdd.steps.recipient_roles_steps import *  # noqa: F403
from tests.bdd.steps.refusal_steps import *  # noqa: F403
from tests.bdd.steps.retention_steps import *  # noqa: F403
from tests.bdd.steps.revocation_steps import *  # noqa: F403
from tests.bdd.steps.sign_in_steps import *  # noqa: F403
from tests.bdd.steps.signer_authentication_steps import *  # noqa: F403
from tests.bdd.steps.signing_page_steps import *  # noqa: F403
from tests.bdd.steps.signing_rules_steps import *  # noqa: F403
from tests.bdd.steps.verification_steps import *  # noqa: F403
