"""Synthetic scale data for benchmarks: plausible, clearly labelled, never mixed with real data.

Every row it writes hangs off one plan titled "SYNTHETIC", has a key starting with
`synthetic-`, and cites a source that says it is generated. It refuses a database that
holds any other plan.
"""

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, insert, literal, select
from sqlalchemy.orm import Session

from app import migrate
from app.loading import seed
from app.plan.kinds import KINDS
from app.plan.models import Asset, Citation, Deployment, Plan, Site, Source, utcnow
from app.plan.vocab import (
    AssetType,
    Certainty,
    Credibility,
    Posture,
    Rank,
    SiteBasis,
    SiteKind,
    SourceKind,
    Stage,
    Status,
)
from app.search import index as search_index

PREFIX = "synthetic-"
PLAN_KEY = f"{PREFIX}plan"
#: About thirty contributing countries, European and allied.
COUNTRIES = ["AT", "BE", "BG", "CA", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
             "HU", "IE", "IT", "LT", "LU", "LV", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
             "TR", "US"]
BATCH = 5000


class RealDataPresent(RuntimeError):
    pass


class DemoDataPresent(RealDataPresent):
    """Synthetic rows are made once per database: a second run would repeat their keys."""


def generate(engine: Engine, rows: int, *, seed_value: int = 1,
             progress: Callable[[int], None] = lambda n: None) -> dict[str, int]:
    """Fill `engine`'s database with `rows` synthetic sites, deployments and assets."""
    migrate.upgrade(engine)
    rng = random.Random(seed_value)
    with Session(engine) as session:
        real = session.scalars(select(Plan.key).where(Plan.key.not_like(f"{PREFIX}%"))).first()
        if real is not None:
            raise RealDataPresent(f"this database holds real plan data ('{real}'); "
                                  "synthetic rows go in a database of their own")
        if session.scalars(select(Plan.key).where(Plan.key.like(f"{PREFIX}%"))).first():
            raise DemoDataPresent("this database already holds synthetic rows; fill a new "
                                  "database, or drop this one first")
        seed.load_countries(session, seed.SEEDS_DIR, seed.Report())
        plan, source = _plan_and_source(session)
        n_sites = max(1, rows // 10)
        n_deployments = rows * 3 // 10
        n_assets = rows - n_sites - n_deployments
        site_ids = _insert(session, Site, _sites(rng, n_sites), progress)
        _insert(session, Deployment, _deployments(rng, plan.id, n_deployments),
                                 progress)
        _insert(session, Asset, _assets(rng, plan.id, site_ids, n_assets), progress)
        for start in range(0, len(site_ids), BATCH):
            session.execute(insert(Citation), [
                {"subject_type": "site", "subject_id": i, "source_id": source.id}
                for i in site_ids[start:start + BATCH]
            ])
        # Each figure rests on one claim of the generator, at the value the row shows.
        for model, figure in ((Deployment, "troops"), (Asset, "quantity")):
            low, high = getattr(model, f"{figure}_low"), getattr(model, f"{figure}_high")
            session.execute(insert(Citation).from_select(
                ["subject_type", "subject_id", "source_id", "field", "low", "high",
                 "claimed_on", "credibility", "rank", "version"],
                select(literal(model.__tablename__), model.id, literal(source.id),
                       literal(figure), low, high, literal(source.published_on),
                       literal(Credibility.CANNOT_JUDGE.value), literal(Rank.NORMAL.value),
                       literal(1)).where(model.plan_id == plan.id)))
        # Bulk inserts pass by the flush that indexes rows for search.
        search_index.rebuild(session, [KINDS["sites"], KINDS["deployments"], KINDS["assets"]])
        session.commit()
    return {"sites": n_sites, "deployments": n_deployments, "assets": n_assets}


def _plan_and_source(session: Session) -> tuple[Plan, Source]:
    plan = session.scalars(select(Plan).where(Plan.key == PLAN_KEY)).first()
    if plan is None:
        plan = Plan(key=PLAN_KEY, title="SYNTHETIC benchmark data: not a real plan",
                    summary="Generated rows for load tests. No figure here was ever reported.",
                    status=Status.PROPOSED, certainty=Certainty.UNREPORTED)
        session.add(plan)
    source = session.scalars(select(Source).where(Source.key == f"{PREFIX}source")).first()
    if source is None:
        source = Source(key=f"{PREFIX}source", kind=SourceKind.REFERENCE,
                        title="[Synthetic data generator: not a real source]",
                        published_on=date.today())
        session.add(source)
    session.flush()
    return plan, source


def _insert(session: Session, model, rows: Iterator[dict[str, Any]],
            progress: Callable[[int], None]) -> list[int]:
    ids: list[int] = []
    batch: list[dict[str, Any]] = []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            ids += session.scalars(stmt, batch).all()
            progress(len(batch))
            batch = []
    if batch:
        ids += session.scalars(stmt, batch).all()
        progress(len(batch))
    return ids


def _common(kind: str, i: int) -> dict[str, Any]:
    now = utcnow()
    return {"key": f"{PREFIX}{kind}-{i}", "certainty": Certainty.UNREPORTED,
            "created_at": now, "updated_at": now}


def _quantity(rng: random.Random, scale: int) -> tuple[int | None, int | None]:
    roll = rng.random()
    if roll < 0.15:
        return None, None
    low = rng.randint(1, scale)
    return (low, low) if roll < 0.8 else (low, low + rng.randint(1, scale))


def _sites(rng: random.Random, n: int) -> Iterator[dict[str, Any]]:
    kinds = list(SiteKind)
    for i in range(n):
        yield {**_common("site", i), "name": f"Synthetic site {i}", "kind": rng.choice(kinds),
               "basis": SiteBasis.CANDIDATE, "country_code": rng.choice(COUNTRIES + ["UA"] * 10),
               "latitude": round(rng.uniform(44.5, 52.3), 4),
               "longitude": round(rng.uniform(22.2, 40.2), 4)}


def _deployments(rng: random.Random, plan_id: int, n: int) -> Iterator[dict[str, Any]]:
    stages = list(Stage)
    for i in range(n):
        low, high = _quantity(rng, 3000)
        yield {**_common("deployment", i), "plan_id": plan_id,
               "country_code": rng.choice(COUNTRIES), "role": f"Synthetic contingent {i}",
               "troops_low": low, "troops_high": high, "stage": rng.choice(stages),
               "claim_count": 1}


def _assets(rng: random.Random, plan_id: int, site_ids: list[int],
            n: int) -> Iterator[dict[str, Any]]:
    types, postures, stages = list(AssetType), list(Posture), list(Stage)
    start = date(1990, 1, 1)
    for i in range(n):
        low, high = _quantity(rng, 40)
        yield {**_common("asset", i), "plan_id": plan_id, "country_code": rng.choice(COUNTRIES),
               "asset_type": types[i % len(types)] if i < len(types) else rng.choice(types),
               "quantity_low": low, "quantity_high": high, "posture": rng.choice(postures),
               "stage": rng.choice(stages), "site_id": rng.choice(site_ids), "claim_count": 1,
               "role": f"Synthetic asset {i}",
               "verified_on": start + timedelta(days=rng.randint(0, 12_000))}
