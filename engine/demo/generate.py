"""Seeded synthetic sales networks on real US counties.

Territories are real counties (Census adjacency, 2019 population, centroids); potential follows
population. Accounts, reps, partners, channels and budgets are synthetic but shaped like a real
B2B network: lognormal (heavily skewed) account revenue, reps living where people live, partners
covering the counties around a hub. The same arguments give the same tables, byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data.dataset import Dataset, DatasetManifest, dataset_from_frames
from engine.demo.counties import load_counties, load_county_adjacency
from engine.errors import DataError, DataIssue
from engine.network import great_circle_km

__all__ = ["GeneratorSettings", "generate_dataset"]

#: Potential per resident per period (a quarter), in USD.
POTENTIAL_PER_RESIDENT = 8.0
ROAD_FACTOR = 1.25  # road km per great-circle km
SPEED_KMH = 80.0

_CHANNELS = pd.DataFrame(
    {
        "id": ["FIELD", "INSIDE", "DIST", "AGENT", "WEB"],
        "name": ["Field sales", "Inside sales", "Distributors", "Agents", "Online store"],
        "kind": ["direct_field", "inside", "distributor", "agent", "online"],
        "margin": [0.45, 0.40, 0.22, 0.30, 0.35],
        "cost_to_serve": [0.06, 0.03, 0.02, 0.04, 0.08],
        "hours_per_call": [2.0, 0.5, None, None, None],
        "max_share": [0.30, 0.15, 0.30, 0.12, 0.08],
        "hours_scale": [300.0, 150.0, None, None, None],
        "marketing_scale": [50000.0, 40000.0, None, None, 20000.0],
        "hire_cost": [36000.0, 21000.0, None, None, None],
        "hire_capacity_hours": [400.0, 440.0, None, None, None],
    }
)
_INDUSTRIES = [
    "Manufacturing", "Construction", "Healthcare", "Retail", "Logistics",
    "Agriculture", "Education", "Hospitality", "Energy", "Professional services",
]  # fmt: skip
_NAME_FIRST = [
    "Summit", "Prairie", "Lakeside", "Keystone", "Pioneer", "Riverbend", "Heartland", "Granite",
    "Maple", "Liberty", "Northstar", "Cardinal", "Buckeye", "Hoosier", "Lincoln", "Harbor",
]  # fmt: skip
_NAME_SECOND = [
    "Tooling", "Foods", "Medical", "Supply", "Logistics", "Farms", "Systems", "Builders",
    "Energy", "Partners", "Clinic", "Works", "Labs", "Traders", "Fabrication", "Services",
]  # fmt: skip
_NAME_SUFFIX = ["Inc.", "LLC", "Co.", "Group", "Corp.", "& Sons", "Ltd."]
_REP_NAMES = [
    "Avery Johnson", "Jordan Lee", "Maria Garcia", "Wei Zhang", "王芳", "Priya Patel",
    "Samuel Okafor", "Emily Novak", "Luis Hernández", "Hannah Schmidt", "李娜", "Noah Williams",
    "Olivia Brown", "Mateo Rossi", "Aisha Khan", "Ethan Miller", "Sofia Kowalski", "陈伟",
    "Daniel Kim", "Grace O'Neil",
]  # fmt: skip


@dataclass(frozen=True)
class GeneratorSettings:
    """What to generate; counts left as ``None`` scale with the number of counties."""

    states: tuple[str, ...]
    accounts: int = 20_000
    reps: int | None = None
    partners: int | None = None
    seed: int = 7
    period: str = "2027-Q1"
    name: str | None = None


def _territories(rng: np.random.Generator, counties: pd.DataFrame) -> pd.DataFrame:
    noise = rng.lognormal(0.0, 0.25, len(counties))
    potential = np.round(counties["population"].to_numpy() * POTENTIAL_PER_RESIDENT * noise, -2)
    return pd.DataFrame(
        {
            "id": counties["fips"],
            "name": counties["name"] + ", " + counties["state"],
            "region": counties["state"],
            "potential": potential,
            "lat": counties["lat"],
            "lon": counties["lon"],
        }
    )


def _adjacency(territories: pd.DataFrame) -> pd.DataFrame:
    borders = load_county_adjacency(territories["id"])
    coords = territories.set_index("id")[["lat", "lon"]]
    a, b = coords.loc[borders["a"]], coords.loc[borders["b"]]
    km = great_circle_km(
        a["lat"].to_numpy(), a["lon"].to_numpy(), b["lat"].to_numpy(), b["lon"].to_numpy()
    )
    hours = np.round(km * ROAD_FACTOR / SPEED_KMH, 2)
    return pd.DataFrame(
        {"a": borders["a"], "b": borders["b"], "travel_time": np.maximum(hours, 0.05)}
    )


def _accounts(rng: np.random.Generator, territories: pd.DataFrame, count: int) -> pd.DataFrame:
    weights = territories["potential"].to_numpy()
    where = rng.choice(len(territories), size=count, p=weights / weights.sum())
    revenue = np.round(rng.lognormal(np.log(5000.0), 1.5, count), 2)
    segment = np.where(
        revenue >= 250_000, "Enterprise", np.where(revenue >= 50_000, "Mid-Market", "SMB")
    )
    segment = np.where(rng.random(count) < 0.08, "Public", segment)
    orders = 1 + rng.poisson(np.sqrt(revenue) / 15.0)
    names = (
        pd.Series(np.asarray(_NAME_FIRST)[rng.integers(0, len(_NAME_FIRST), count)])
        + " "
        + np.asarray(_NAME_SECOND)[rng.integers(0, len(_NAME_SECOND), count)]
        + " "
        + np.asarray(_NAME_SUFFIX)[rng.integers(0, len(_NAME_SUFFIX), count)]
    )
    return pd.DataFrame(
        {
            "id": [f"AC{index:07d}" for index in range(1, count + 1)],
            "territory": territories["id"].to_numpy()[where],
            "name": names,
            "segment": segment,
            "industry": np.asarray(_INDUSTRIES)[rng.integers(0, len(_INDUSTRIES), count)],
            "revenue_12m": revenue,
            "orders_12m": orders,
            "growth": np.round(np.clip(rng.normal(0.05, 0.18, count), -0.9, 2.0), 3),
            "satisfaction": np.round(np.clip(rng.normal(7.2, 1.5, count), 0.0, 10.0), 1),
            "credit_score": np.clip(np.round(rng.beta(5.0, 2.0, count) * 100), 1, 100),
            "last_order_days": np.clip(rng.exponential(365.0 / (orders + 1)), 0, 730).astype(int),
            "employees": 1 + rng.lognormal(np.log(40.0), 1.3, count).astype(int),
        }
    )


def _reps(rng: np.random.Generator, territories: pd.DataFrame, count: int) -> pd.DataFrame:
    field = round(count * 0.7)
    weights = territories["potential"].to_numpy() ** 0.7
    homes = rng.choice(
        len(territories), size=field, replace=field > len(territories), p=weights / weights.sum()
    )
    metros = np.argsort(-territories["potential"].to_numpy(), kind="stable")[:5]
    homes = np.concatenate([homes, rng.choice(metros, size=count - field)])
    is_field = np.arange(count) < field
    capacity = np.where(is_field, 400.0 + rng.integers(-8, 5, count) * 5, 440.0)
    cost = np.round(
        np.where(is_field, rng.uniform(34000, 40000, count), rng.uniform(19000, 23000, count)), -2
    )
    quota = np.round(
        np.where(is_field, rng.normal(450_000, 60_000, count), rng.normal(250_000, 30_000, count)),
        -3,
    )
    status = np.where(rng.random(count) < 0.05, "open", "active")
    names = np.asarray(_REP_NAMES)[rng.integers(0, len(_REP_NAMES), count)]
    home_ids = territories["id"].to_numpy()[homes]
    return pd.DataFrame(
        {
            "id": [f"R{index:04d}" for index in range(1, count + 1)],
            "name": np.where(status == "open", "Open headcount", names),
            "channel": np.where(is_field, "FIELD", "INSIDE"),
            "home": home_ids,
            "territory": home_ids,
            "capacity_hours": capacity,
            "cost": cost,
            "quota": np.maximum(quota, 50_000.0),
            "status": status,
        }
    )


def _partners(
    rng: np.random.Generator, territories: pd.DataFrame, count: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    weights = territories["potential"].to_numpy()
    hubs = rng.choice(
        len(territories), size=count, replace=count > len(territories), p=weights / weights.sum()
    )
    is_distributor = np.arange(count) < round(count * 0.6)
    lat, lon = territories["lat"].to_numpy(), territories["lon"].to_numpy()
    ids = [f"P{index:03d}" for index in range(1, count + 1)]
    coverage_partner: list[str] = []
    coverage_territory: list[str] = []
    capacity = np.zeros(count)
    for index, hub in enumerate(hubs):
        reach = int(rng.integers(10, 31) if is_distributor[index] else rng.integers(4, 13))
        distance = great_circle_km(lat[hub], lon[hub], lat, lon)
        covered = np.lexsort((territories["id"].to_numpy(), distance))[
            : min(reach, len(territories))
        ]
        coverage_partner += [ids[index]] * len(covered)
        coverage_territory += list(territories["id"].to_numpy()[covered])
        capacity[index] = np.round(weights[covered].sum() * rng.uniform(0.08, 0.2), -3)
    fixed = np.where(
        is_distributor, rng.uniform(15000, 40000, count), rng.uniform(5000, 12000, count)
    )
    partners = pd.DataFrame(
        {
            "id": ids,
            "name": [
                f"{_NAME_FIRST[i % len(_NAME_FIRST)]} {'Distribution' if d else 'Agency'} {n}"
                for i, d, n in zip(
                    rng.integers(0, 99, count), is_distributor, range(1, count + 1), strict=True
                )
            ],
            "channel": np.where(is_distributor, "DIST", "AGENT"),
            "capacity": np.maximum(capacity, 1000.0),
            "fixed_cost": np.round(fixed, -2),
            "credit_limit": np.round(capacity * rng.uniform(0.2, 0.5, count), -3),
            "credit_score": np.clip(np.round(rng.beta(4.0, 2.0, count) * 100), 5, 100),
        }
    )
    coverage = pd.DataFrame({"partner": coverage_partner, "territory": coverage_territory})
    return partners, coverage


def _budgets(territories: pd.DataFrame) -> pd.DataFrame:
    total_potential = float(territories["potential"].sum())
    shares = {"marketing": 0.012, "incentives": 0.010, "training": 0.002, "hiring": 0.0015}
    amounts = {category: round(total_potential * share, -3) for category, share in shares.items()}
    amounts["total"] = round(sum(amounts.values()) * 0.95, -3)
    return pd.DataFrame({"category": list(amounts), "amount": list(amounts.values())})


def _actuals(
    rng: np.random.Generator, reps: pd.DataFrame, accounts: pd.DataFrame, period: str
) -> pd.DataFrame:
    active = reps[reps["status"] == "active"]
    per_rep = rng.integers(6, 18, len(active))
    rep_ids = np.repeat(active["id"].to_numpy(), per_rep)
    count = len(rep_ids)
    amount = np.round(rng.lognormal(np.log(20000.0), 1.0, count), 2)
    refunds = rng.random(count) < 0.02
    amount = np.where(refunds, -np.round(amount * 0.5, 2), amount)
    days = rng.integers(0, 90, count)
    start = _period_start(period)
    dates = (start + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "period": period,
            "deal": [f"D{index:06d}" for index in range(1, count + 1)],
            "rep": rep_ids,
            "account": accounts["id"].to_numpy()[rng.integers(0, len(accounts), count)],
            "amount": amount,
            "date": dates,
        }
    )


def _period_start(period: str) -> pd.Timestamp:
    """First day of a quarter label such as ``2027-Q1`` (checked by :func:`generate_dataset`)."""
    return pd.Period(period.replace("-", ""), freq="Q").start_time


def generate_dataset(settings: GeneratorSettings) -> Dataset:
    """Generate and validate a dataset on the counties of ``settings.states``."""
    if not re.fullmatch(r"\d{4}-Q[1-4]", settings.period):
        raise DataError([DataIssue("generator settings", "a quarter such as 2027-Q1",
                                   column="period", value=settings.period)])  # fmt: skip
    if settings.seed < 0:
        issue = DataIssue("generator settings", "a seed >= 0", column="seed", value=settings.seed)
        raise DataError([issue])
    counties = load_counties(list(settings.states))
    if counties.empty:
        raise DataError(
            [
                DataIssue(
                    None,
                    "two-letter US state codes (or L48)",
                    column="states",
                    value=",".join(settings.states),
                )
            ]
        )
    rng = np.random.default_rng(settings.seed)
    territories = _territories(rng, counties)
    reps_count = (
        settings.reps if settings.reps is not None else max(4, round(len(territories) / 4.7))
    )
    partners_count = (
        settings.partners
        if settings.partners is not None
        else max(2, round(len(territories) / 9.4))
    )
    accounts = _accounts(rng, territories, settings.accounts)
    reps = _reps(rng, territories, reps_count)
    partners, coverage = _partners(rng, territories, partners_count)
    frames = {
        "territories": territories,
        "adjacency": _adjacency(territories),
        "channels": _CHANNELS.copy(),
        "accounts": accounts,
        "reps": reps,
        "partners": partners,
        "coverage": coverage,
        "budgets": _budgets(territories),
        "actuals": _actuals(rng, reps, accounts, settings.period),
    }
    states = ",".join(settings.states)
    manifest = DatasetManifest(
        name=settings.name or f"us-{'-'.join(s.lower() for s in settings.states)}",
        version="1",
        currency="USD",
        period=settings.period,
        description=(
            f"Synthetic sales network on the real counties of {states} "
            f"(salesnet data generate, seed {settings.seed}). Counties, borders and population: "
            "US Census Bureau (public domain)."
        ),
    )
    return dataset_from_frames(frames, manifest)
