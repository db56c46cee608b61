"""Every enumeration of the plan data, each value a stable lower-case slug with a human label.

The slugs are the values stored in the database and accepted as filter values in URLs,
CSV and the API; labels are only for display and may change freely. Countries are ISO 3166-1
alpha-2 codes, named by pycountry.
"""

from enum import StrEnum
from functools import cache
from typing import Annotated, Any

import pycountry
from pydantic import BeforeValidator


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


class Status(Vocab):
    """Lifecycle of a commitment (a plan, a contingent, an asset)."""

    FLOATED = ("floated", "Floated")
    PROPOSED = ("proposed", "Proposed")
    CONDITIONAL = ("conditional", "Conditional")
    PLEDGED = ("pledged", "Pledged")
    CONFIRMED = ("confirmed", "Confirmed")
    DEPLOYED = ("deployed", "Deployed")
    WITHDRAWN = ("withdrawn", "Withdrawn")


#: Statuses that count as a pledge in the headline "pledged" figure.
PLEDGED_STATUSES = (Status.PLEDGED, Status.CONFIRMED, Status.DEPLOYED)


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
    code = str(value).strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"unknown country code '{value}': use an ISO 3166-1 alpha-2 code")
    return code


CountryCode = Annotated[str, BeforeValidator(_country_code)]


def vocab_value(enum: type[Vocab], noun: str) -> Any:
    def check(value: Any) -> Vocab:
        slug = str(value).strip().lower()
        if slug not in enum._value2member_map_:
            choices = ", ".join(m.value for m in enum)
            raise ValueError(f"unknown {noun} '{value}': choose from {choices}")
        return enum(slug)

    return Annotated[enum, BeforeValidator(check)]
