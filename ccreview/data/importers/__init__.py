"""Importers: real exports mapped onto the canonical tables.

An importer reads one export and returns canonical tables as
:class:`~ccreview.data.readers.RawTable` objects, still as text, so they go through the same
validation as any other input; each row keeps the row number of the export it
came from. A parameter file names them under ``imports:``::

    imports:
      servicenow: ../../shared/data/servicenow-uci/incident_event_log.zip
      bank_calls: ../../shared/data/anonymous-bank/calls-1999-02.txt.gz

An importer may also hand over the rows it refuses (``RawTable.rejected``, each with
its reasons); validation quarantines and counts them under the export's row numbers,
so rows in the export = rows accepted + rows quarantined.

``bank_calls`` reads the call-by-call log of the "Anonymous Bank" call centre
(Guedj and Mandelbaum, Technion SEE lab, 1999) into ``contacts``. In short (details
in :func:`import_bank_calls`): a contact arrives when it enters the agent queue; a
call served straight from the VRU arrives and is answered as it leaves the VRU (wait
0); hang-ups in the VRU were never offered to an agent and, like PHANTOM calls and
rows with a negative duration, are quarantined with a reason; a time more than 12
hours before the VRU entry is on the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ccreview.data.importers.bank import BANK_CALL_TYPES, import_bank_calls
from ccreview.data.importers.servicenow import SERVICENOW_STATES, import_servicenow
from ccreview.data.readers import RawTable

__all__ = ["BANK_CALL_TYPES", "IMPORTERS", "SERVICENOW_STATES", "import_bank_calls",
           "import_servicenow"]

#: importer name (as used under ``imports:``) -> function
IMPORTERS: dict[str, Callable[[str | Path], dict[str, RawTable]]] = {
    "servicenow": import_servicenow,
    "bank_calls": import_bank_calls,
}
