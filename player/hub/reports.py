"""The shapes of what devices and publishers send, as pydantic models.

Strict types: `true` is not a number, `"3"` is not a release. Numbers must be finite and fit a
64-bit integer column; texts are bounded. Unknown keys are kept (newer players send more).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

INT64 = 2**63
MAX_ID_LENGTH = 64
MAX_TEXT = 2000
MAX_SCREENSHOT_BASE64 = 1_500_000

WholeNumber = Annotated[int, Field(strict=True, ge=-INT64, lt=INT64)]
Count = Annotated[int, Field(strict=True, ge=0, lt=INT64)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-INT64, lt=INT64)]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
Id = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)]
IsoTime = Annotated[StrictStr, Field(max_length=40)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class ReportBase(_Open):
    """What every report carries."""

    id: Id
    cluster: StrictStr
    kind: Literal["heartbeat", "event", "play", "screenshot"]
    seq: Count
    boot_id: Annotated[StrictStr, Field(max_length=MAX_ID_LENGTH)] = ""
    time: IsoTime
    uptime: Number = 0
    clock_synced: StrictBool = False


class Summary(_Open):
    temperature_celsius: Number | None = None
    humidity_percent: Number | None = None
    disk_free_bytes: Number | None = None
    disk_total_bytes: Number | None = None
    memory_available_bytes: Number | None = None
    load1: Number | None = None
    display_connected: StrictBool | None = None


class PlayerState(_Open):
    release: WholeNumber | None = None
    playlist: Text | None = None
    item: Text | None = None
    last_sync: dict[str, Any] | None = None


class HeartbeatReport(ReportBase):
    summary: Summary | None = None
    readings: dict[StrictStr, Number | None] = {}
    player: PlayerState | None = None


class EventReport(ReportBase):
    severity: Literal["error", "warning", "info"]
    event: Text
    message: Text
    details: dict[str, Any] | None = None


class PlayReport(ReportBase):
    item: Text
    release: WholeNumber | None = None
    start: IsoTime
    end: IsoTime


class ScreenshotReport(ReportBase):
    jpeg_base64: Annotated[StrictStr, Field(min_length=1, max_length=MAX_SCREENSHOT_BASE64)]
    width: Annotated[int, Field(strict=True, gt=0, le=16384)]
    height: Annotated[int, Field(strict=True, gt=0, le=16384)]


REPORT_MODELS: dict[str, type[ReportBase]] = {
    "heartbeat": HeartbeatReport, "event": EventReport, "play": PlayReport,
    "screenshot": ScreenshotReport,
}


class BatchEnvelope(BaseModel):
    """`{"format": 1, "cluster": ID, "reports": [...]}`; each report is checked on its own."""

    model_config = ConfigDict(extra="allow")

    format: Literal[1]
    cluster: Annotated[StrictStr, Field(min_length=1)]
    reports: list[Any]


class ManifestUpload(BaseModel):
    """The body of `PUT /api/v1/channels/NAME/manifest`."""

    model_config = ConfigDict(extra="forbid")

    manifest: StrictStr  # base64 of manifest.json's exact bytes
    signature: StrictStr  # the text of manifest.json.sig
