"""Definition choices of the KPIs that a parameter file makes (``kpis:``)."""

from __future__ import annotations

from dataclasses import dataclass

from ccreview.exceptions import ParameterError
from ccreview.wording import did_you_mean

__all__ = [
    "KpiSettings",
    "SERVICE_LEVEL_VARIANTS",
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
    """

    service_level_threshold_s: float = 20.0
    service_level_variant: str = "offered"
    short_abandon_s: float = 5.0

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
