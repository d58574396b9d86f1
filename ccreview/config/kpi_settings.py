"""Definition choices of the KPIs that a parameter file makes (``kpis:``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ccreview.config.yaml_files import check_keys
from ccreview.exceptions import ParameterError
from ccreview.wording import did_you_mean

__all__ = [
    "KpiSettings",
    "SERVICE_LEVEL_VARIANTS",
    "read_kpi_settings",
]


#: service-level variant -> (source, formula in words). ICMI numbers from
#: "Service Level Calculations" (ICMI 2002); see the reference notes, section 1.1.
SERVICE_LEVEL_VARIANTS = {
    "offered": ("ICMI formula 3", "answered within T / offered; every abandon is a failure"),
    "answered": ("ICMI formula 2", "answered within T / answered; abandons are ignored"),
    "abandons_within_t_met": ("ICMI formula 1",
                              "(answered within T + abandoned within T) / offered"),
    "abandons_within_t_excluded": ("ICMI formula 4",
                                   "answered within T / (offered - abandoned within T)"),
    "short_abandons_met": ("ICMI formula 5",
                           "(answered within T + short abandons) / offered"),
    "short_abandons_excluded": ("ICMI formula 6; the RingCentral and Genesys option",
                                "answered within T / (offered - short abandons)"),
}


#: a long wait per channel: two minutes on a live channel, a working day on e-mail
LONG_WAIT_S = (("phone", 120.0), ("chat", 120.0), ("email", 8 * 3600.0))


@dataclass(frozen=True)
class KpiSettings:
    """Definition choices the parameter file makes (``kpis:``).

    Attributes
    ----------
    service_level_threshold_s : float
        T in "answered within T seconds" (inclusive: wait <= T).
    service_level_variant : str
        A key of :data:`SERVICE_LEVEL_VARIANTS`.
    short_abandon_s : float
        Abandons after a wait shorter than this are "short abandons".
    material_change : tuple of (metric, minimum)
        The parameter file's own minimum material changes, over the catalogue's defaults
        (:data:`ccreview.kpis.catalogue.MATERIAL_CHANGE`).
    long_wait_s : tuple of (channel, seconds)
        What counts as a long wait on a channel, for the drivers of dissatisfaction; a
        channel not listed counts the slowest fifth of its waits.
    """

    service_level_threshold_s: float = 20.0
    service_level_variant: str = "offered"
    short_abandon_s: float = 5.0
    material_change: tuple[tuple[str, float], ...] = ()
    long_wait_s: tuple[tuple[str, float], ...] = LONG_WAIT_S

    def __post_init__(self) -> None:
        if self.service_level_variant not in SERVICE_LEVEL_VARIANTS:
            raise ParameterError(
                f"kpis.service_level.variant: {self.service_level_variant!r} is not a variant."
                f"{did_you_mean(self.service_level_variant, SERVICE_LEVEL_VARIANTS)} Choose one of "
                f"{', '.join(SERVICE_LEVEL_VARIANTS)}.")
        if not self.service_level_threshold_s > 0:
            raise ParameterError("kpis.service_level.threshold_s must be a positive number of "
                                 "seconds, e.g. 20.")
        if not 0 <= self.short_abandon_s <= self.service_level_threshold_s:
            raise ParameterError("kpis.short_abandon_s must be between 0 and the service-level "
                                 "threshold, e.g. 5.")


_KPI_KEYS = {"service_level": "threshold_s and variant", "short_abandon_s": "seconds",
             "material_change": "metric -> the smallest change that matters",
             "long_wait_s": "channel -> seconds counted as a long wait"}
_SL_KEYS = {"threshold_s": "seconds, e.g. 20", "variant": "which abandons count, e.g. offered"}


def _material(spec: Any, *, where: str, problems: list[str], metrics: Collection[str]
              ) -> tuple[tuple[str, float], ...]:
    """``kpis: material_change: {metric: minimum}`` checked against the catalogue."""
    if spec is None:
        return ()
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected metric: minimum, e.g. {{service_level: 0.02}}.")
        return ()
    out = []
    for name, value in spec.items():
        if metrics and name not in metrics:
            problems.append(f"{where}: {name!r} is not a KPI of the catalogue."
                            f"{did_you_mean(str(name), metrics)}")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append(f"{where}.{name}: the minimum must be a number >= 0 (a share as "
                            "0.01 for one point, a relative change of a count as 0.03), got "
                            f"{value!r}.")
        else:
            out.append((str(name), float(value)))
    return tuple(out)


def _long_waits(spec: Any, *, where: str, problems: list[str]) -> tuple[tuple[str, float], ...]:
    """``kpis: long_wait_s: {channel: seconds}`` over the defaults."""
    if spec is None:
        return LONG_WAIT_S
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected channel: seconds, e.g. {{phone: 120, email: 28800}}.")
        return LONG_WAIT_S
    out = dict(LONG_WAIT_S)
    for channel, value in spec.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append(f"{where}.{channel}: a positive number of seconds, got {value!r}.")
        else:
            out[str(channel)] = float(value)
    return tuple(out.items())


def read_kpi_settings(spec: Any, *, where: str, problems: list[str],
                  metrics: Collection[str] = ()) -> KpiSettings:
    """``kpis:`` -> :class:`KpiSettings` (defaults where absent)."""
    if spec is None:
        return KpiSettings()
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected keys {', '.join(_KPI_KEYS)}.")
        return KpiSettings()
    check_keys(spec, _KPI_KEYS, where=where, problems=problems)
    level = spec.get("service_level") or {}
    if not isinstance(level, dict):
        problems.append(f"{where}.service_level: expected {{threshold_s: 20, variant: offered}}.")
        level = {}
    check_keys(level, _SL_KEYS, where=f"{where}.service_level", problems=problems)
    values = {"service_level_threshold_s": level.get("threshold_s", 20),
              "service_level_variant": str(level.get("variant", "offered")),
              "short_abandon_s": spec.get("short_abandon_s", 5),
              "material_change": _material(spec.get("material_change"),
                                           where=f"{where}.material_change", problems=problems,
                                           metrics=metrics),
              "long_wait_s": _long_waits(spec.get("long_wait_s"), where=f"{where}.long_wait_s",
                                         problems=problems)}
    for key in ("service_level_threshold_s", "short_abandon_s"):
        if isinstance(values[key], bool) or not isinstance(values[key], int | float):
            problems.append(f"{where}: {key.replace('service_level_', 'service_level.')} must be a "
                            f"number of seconds, got {values[key]!r}.")
            return KpiSettings()
    try:
        return KpiSettings(**values)
    except ParameterError as exc:
        problems.append(f"{where.rsplit(':', 1)[0]}: {exc}")
        return KpiSettings()
