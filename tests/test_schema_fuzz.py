"""The API against its own OpenAPI schema, fuzzed by schemathesis with every check: no
5xx, and every answer one the schema documents. Without credentials and with an
editor's token; a bounded number of examples per operation here, more with
PEACEPLAN_FUZZ_EXAMPLES (README, "Fuzzing")."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.accounts import users
from app.db import get_session
from app.main import create_app
from app.plan.vocab import Role
from tests.factories import make_user

EXAMPLES = int(os.environ.get("PEACEPLAN_FUZZ_EXAMPLES", "5"))


# Loaded from the app's own schema at collection: schemathesis's fixture-based loading
# does not run on this pytest.
APP = create_app()
# The coverage phase (every boundary of every parameter, a few hundred requests per
# operation) runs in the long run only; the suite fuzzes a bounded number of examples.
LONG = EXAMPLES > 5
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": LONG}}})
schema = schemathesis.openapi.from_dict(APP.openapi(), config=CONFIG)
schema.app = APP


@pytest.fixture(autouse=True)
def _on_the_test_database(session):
    APP.dependency_overrides[get_session] = lambda: session
    yield
    APP.dependency_overrides.clear()


@pytest.fixture
def editor_token(session) -> str:
    user = make_user(session, "fuzzer", role=Role.EDITOR)
    return users.create_token(session, user, users.TokenInput(name="fuzz"))[1]


# The same examples every run in the suite, so that it passes or fails on the code alone;
# the longer run explores afresh each time.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
                suppress_health_check=list(HealthCheck))

# Every check but one: a request that fits the schema may still be refused (422) by a rule
# JSON Schema cannot state: a date range must not end before it starts, a quote must stand
# in its source's text, a changed figure needs its source and a reason, a referenced row
# must exist, a name must not be taken.
BEYOND_THE_SCHEMA = [positive_data_acceptance]


@schema.parametrize()
@FUZZ
def test_the_api_keeps_to_its_schema_for_anyone(case):
    case.call_and_validate(excluded_checks=BEYOND_THE_SCHEMA)


@schema.parametrize()
@FUZZ
def test_the_api_keeps_to_its_schema_for_an_editor(case, editor_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {editor_token}"},
                           excluded_checks=BEYOND_THE_SCHEMA)
