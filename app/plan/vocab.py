"""Every enumeration of the plan data, each value a stable lower-case slug with a human label.

The slugs are the values stored in the database and accepted as filter values in URLs,
CSV and the API; labels are only for display and may change freely. Countries are ISO 3166-1
alpha-2 codes, named by pycountry.
"""

import re
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

import pycountry
from pydantic import BeforeValidator, WithJsonSchema


class Vocab(StrEnum):
    """A StrEnum whose members carry a display label: `Member = ("slug", "Label")`."""

    def __new__(cls, value: str, label: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        return member


class AssetType(Vocab):
    RECONNAISSANCE_AIRCRAFT = ("reconnaissance_aircraft", "Reconnaissance aircraft")
    DRONE = ("drone", "Drones")
    SURVEILLANCE = ("surveillance", "Surveillance systems")
    INTELLIGENCE = ("intelligence", "Intelligence")
    FIGHTER_JET = ("fighter_jet", "Fighter jets")
    MISSILE = ("missile", "Missiles")
    AIR_DEFENCE = ("air_defence", "Air defence")
    HELICOPTER = ("helicopter", "Helicopters")
    NAVAL_VESSEL = ("naval_vessel", "Naval vessels")
    ARMOURED_VEHICLE = ("armoured_vehicle", "Armoured vehicles")


class Posture(Vocab):
    MONITORING = ("monitoring", "Monitoring")
    STANDBY = ("standby", "On standby")
    DEPLOYED = ("deployed", "Deployed")


class SiteKind(Vocab):
    CITY = ("city", "City")
    PORT = ("port", "Port")
    NUCLEAR_POWER_PLANT = ("nuclear_power_plant", "Nuclear power plant")
    CRITICAL_INFRASTRUCTURE = ("critical_infrastructure", "Other critical infrastructure")
    AIR_BASE = ("air_base", "Air base")
    REGION = ("region", "Region")


class SiteBasis(Vocab):
    """How a site is known: from reporting by name, only as a category, or added by us."""

    NAMED = ("named", "Named in reporting")
    UNNAMED = ("unnamed", "Category only, no site named")
    CANDIDATE = ("candidate", "Candidate, not named in reporting")


class Precision(Vocab):
    """How precisely a site's location is known, coded as ACLED and UCDP code where an
    event happened: a point, near a place, a region (an oblast), a country, or not at all."""

    POINT = ("point", "Exact point")
    NEAR = ("near", "Near a place")
    REGION = ("region", "Region or oblast")
    COUNTRY = ("country", "Country")
    UNKNOWN = ("unknown", "Unknown")


class Status(Vocab):
    """Where a plan stands."""

    FLOATED = ("floated", "Floated")
    PROPOSED = ("proposed", "Proposed")
    CONDITIONAL = ("conditional", "Conditional")
    PLEDGED = ("pledged", "Pledged")
    CONFIRMED = ("confirmed", "Confirmed")
    DEPLOYED = ("deployed", "Deployed")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class Stage(Vocab):
    """Where a contribution (a contingent, an asset) is in its life, as the Kiel tracker
    separates announced from delivered. Members are in the order a pledge moves through."""

    FLOATED = ("floated", "Floated")
    ANNOUNCED = ("announced", "Announced")
    CONDITIONAL = ("conditional", "Conditional")
    COMMITTED = ("committed", "Committed")
    APPROVED = ("approved", "Approved")
    DEPLOYED = ("deployed", "Deployed")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class AlertKind(Vocab):
    """What a subscription can watch for: changes that mean something, read from the
    history (`app.alerts.events` says how each is recognised)."""

    FIGURE_CHANGED = ("figure_changed", "A figure changed")
    CLAIM_ADDED = ("claim_added", "A claim was added")
    BECAME_DISPUTED = ("became_disputed", "A row became disputed")
    STAGE_MOVED = ("stage_moved", "A stage moved")
    SOURCE_CITED = ("source_cited", "A new source was cited")
    STANCE_CHANGED = ("stance_changed", "A stance changed")


#: Stages that count as pledged in the headline: committed and every later stage but
#: withdrawn.
PLEDGED_STAGES = (Stage.COMMITTED, Stage.APPROVED, Stage.DEPLOYED)


class Disputed(Vocab):
    """Whether the claims about a row's figures disagree, as a filter value."""

    YES = ("yes", "Disputed")
    NO = ("no", "Not disputed")


class Reliability(Vocab):
    """How far a source can be relied on: the Admiralty (NATO) code's first letter."""

    A = ("A", "A: completely reliable")
    B = ("B", "B: usually reliable")
    C = ("C", "C: fairly reliable")
    D = ("D", "D: not usually reliable")
    E = ("E", "E: unreliable")
    F = ("F", "F: reliability cannot be judged")


class Credibility(Vocab):
    """How credible one piece of information is: the Admiralty code's digit. Lower is
    more credible; 6 is the honest default when nothing else confirms it."""

    CONFIRMED = ("1", "1: confirmed by other sources")
    PROBABLY_TRUE = ("2", "2: probably true")
    POSSIBLY_TRUE = ("3", "3: possibly true")
    DOUBTFUL = ("4", "4: doubtful")
    IMPROBABLE = ("5", "5: improbable")
    CANNOT_JUDGE = ("6", "6: truth cannot be judged")


class Rank(Vocab):
    """A claim's standing among the claims about one figure, as Wikidata ranks statements."""

    PREFERRED = ("preferred", "Preferred")
    NORMAL = ("normal", "Normal")
    DEPRECATED = ("deprecated", "Deprecated")


class Certainty(Vocab):
    UNREPORTED = ("unreported", "Not in reporting (candidate)")
    REPORTED = ("reported", "Reported")
    STATED_OFFICIALLY = ("stated_officially", "Stated officially")
    CONFIRMED = ("confirmed", "Confirmed")
    DISPUTED = ("disputed", "Disputed")


class ForceLevelKind(Vocab):
    PROPOSED = ("proposed", "Proposed")
    REQUESTED = ("requested", "Requested")
    ESTIMATED = ("estimated", "Estimated")


class StakeholderKind(Vocab):
    PERSON = ("person", "Person")
    GOVERNMENT = ("government", "Government")
    ORGANISATION = ("organisation", "Organisation")


class Position(Vocab):
    LEADS = ("leads", "Leads")
    SUPPORTS = ("supports", "Supports")
    CONDITIONAL = ("conditional", "Conditional")
    OPPOSES = ("opposes", "Opposes")
    NOT_STATED = ("not_stated", "Not stated")


class DemandStatus(Vocab):
    EXPECTED = ("expected", "Expected, not yet raised")
    RAISED = ("raised", "Raised")
    UNDER_NEGOTIATION = ("under_negotiation", "Under negotiation")
    MET = ("met", "Met")
    REJECTED = ("rejected", "Rejected")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class DatePrecision(Vocab):
    DAY = ("day", "Day")
    WEEK = ("week", "Week")
    MONTH = ("month", "Month")
    YEAR = ("year", "Year")
    ON_OR_BEFORE = ("on_or_before", "On or before")


class SourceKind(Vocab):
    NEWS_REPORT = ("news_report", "News report")
    ANALYSIS = ("analysis", "Analysis")
    OFFICIAL = ("official", "Official statement")
    REFERENCE = ("reference", "Reference data")


class Role(Vocab):
    """What an account may do. Anonymous visitors read like viewers; editors change plan
    data; administrators also manage accounts. Members are in ascending order of rights."""

    VIEWER = ("viewer", "Viewer")
    EDITOR = ("editor", "Editor")
    ADMIN = ("admin", "Administrator")

    def allows(self, needed: "Role") -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


# --- Countries, and slugs as input ---


@cache
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def _country_code(value: Any) -> str:
    # Not stripped: forms strip what they read, and the API takes the code as documented.
    code = str(value).upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"unknown country code '{value}': use an ISO 3166-1 alpha-2 code")
    return code


# The schema lists the codes (lower case is taken too); the validator checks them first,
# with a message that says what a code is.
CountryCode = Annotated[str, BeforeValidator(_country_code), WithJsonSchema(
    {"type": "string", "enum": sorted(c.alpha_2 for c in pycountry.countries),
     "description": "An ISO 3166-1 alpha-2 code"})]


def _words(value: Any) -> str:
    """A value as words to compare: case, underscores, dashes and spacing aside."""
    return " ".join(re.sub(r"[_\-\s]+", " ", str(value)).lower().split())


def allowed(enum: type[Vocab]) -> str:
    """The values a vocabulary takes, for a message: each slug, with its label where that
    reads otherwise ("standby (On standby)")."""
    return ", ".join(m.value if _words(m.label) == _words(m.value) else f"{m.value} ({m.label})"
                     for m in enum)


def vocab_value(enum: type[Vocab], noun: str) -> Any:
    """A member of `enum` as people write it: its slug or its label, in any case, with
    spaces, dashes or underscores alike ("Fighter jets", "fighter_jet", "FIGHTER-JET")."""
    # Labels first, slugs last: a slug always means its own member.
    members = {_words(m.label): m for m in enum} | {_words(m.value): m for m in enum}

    def check(value: Any) -> Vocab:
        member = members.get(_words(value))
        if member is None:
            raise ValueError(f"unknown {noun} '{value}': choose from {allowed(enum)}")
        return member

    return Annotated[enum, BeforeValidator(check)]
