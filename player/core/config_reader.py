"""Reading the device configuration: every key checked into the schema's dataclasses.

Loading collects every problem at once and names file, line and key path for each.
"""

from __future__ import annotations

import socket
import unicodedata
from pathlib import Path

from player.core.config import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_STATE_DIR,
    DRIVERS,
    FITS,
    LOG_LEVELS,
    REMOTE_KINDS,
    ROTATIONS,
    AudioConfig,
    Config,
    DisplayConfig,
    FontsConfig,
    HealthConfig,
    HoursWindow,
    PowerConfig,
    QuietHours,
    RemoteConfig,
    SensorConfig,
    SyncConfig,
)
from player.core.fields import Fields, type_name
from player.core.hours import EQUAL_ENDS_WARNING, equal_ends
from player.core.problems import LoadError, Problem, ProblemList
from player.core.units import (
    parse_bytes,
    parse_color,
    parse_duration,
    parse_hours_range,
    parse_size,
)
from player.core.yamlfile import read_yaml
from player.i18n import _

TOP_KEYS = ("cluster", "state_dir", "playlist", "log_level", "fallback", "display", "fonts",
            "sync", "health", "audio", "power", "remote")


def load_config(path: Path | None, must_exist: bool = False) -> Config:
    """Load and validate a config file; a missing default file means all defaults.

    Raises LoadError with every problem when the file is invalid.
    """
    if path is None:
        path = DEFAULT_CONFIG_PATH
        if not path.exists():
            return Config()
    elif not path.exists() and not must_exist:
        return Config(source=str(path))
    data = read_yaml(path)
    return config_from_data(data, str(path), base=path.parent)


def config_from_data(data: object, file: str, base: Path | None = None) -> Config:
    """Validate already-parsed YAML into a Config (raises LoadError with every problem)."""
    config, problems = build_config(data, file, base)
    problems.raise_if_errors()
    return config


def build_config(data: object, file: str, base: Path | None = None) -> tuple[Config, ProblemList]:
    """The config with a default in place of each bad value, and every problem found."""
    problems = ProblemList(file)
    top = Fields(data, "", problems, 1)
    top.check_keys(TOP_KEYS)
    base = base or Path(".")
    playlist = top.string("playlist")
    config = Config(
        source=file,
        cluster=_cluster(top),
        state_dir=Path(top.string("state_dir", str(DEFAULT_STATE_DIR))),
        playlist=(base / playlist) if playlist else None,
        log_level=top.choice("log_level", LOG_LEVELS, "info"),
        fallback=_text_mapping(top, "fallback", Config().fallback),
        display=_display(top.sub("display")),
        fonts=_fonts(top.sub("fonts")),
        sync=_sync(top.sub("sync")),
        health=_health(top.sub("health")),
        audio=_audio(top.sub("audio")),
        power=_power(top.sub("power")),
        remote=_remote(top.sub("remote")),
        warnings=tuple(problems.warnings),
    )
    return config, problems


def load_config_lenient(path: Path | None) -> tuple[Config, list[Problem]]:
    """For `run`: the config with a default in place of each bad value, and the problems.

    A typo in one key must not cost the cluster its id, its channel or its keys; only a file
    that cannot be read or parsed at all falls back to every default.
    """
    if path is None and DEFAULT_CONFIG_PATH.exists():
        path = DEFAULT_CONFIG_PATH
    try:
        return load_config(path), []
    except LoadError as exc:
        if path is None:
            return Config(), list(exc.problems)
        try:
            data = read_yaml(path)
        except LoadError:
            return Config(source=str(path)), list(exc.problems)
    config, problems = build_config(data, str(path), path.parent)
    return config, problems.errors


def _cluster(top: Fields) -> str:
    cluster = top.string("cluster", socket.gethostname())
    if not cluster or len(cluster) > 64 or not all(c.isalnum() or c in "-_." for c in cluster):
        top.error("cluster", "expected a short id of letters, digits, '-', '_' or '.' (at most 64)")
    return cluster


def _text_mapping(top: Fields, key: str, default: dict[str, str]) -> dict[str, str]:
    value = top.raw(key)
    if value is None:
        return default
    if isinstance(value, str):
        return {"vi": unicodedata.normalize("NFC", value)}
    if not isinstance(value, dict) or not value or not all(isinstance(v, str) for v in value.values()):
        top.error(key, f"expected a mapping of language to text like {{vi: ..., en: ...}}, got {type_name(value)}")
        return default
    return {str(k): unicodedata.normalize("NFC", v) for k, v in value.items()}


def _display(f: Fields) -> DisplayConfig:
    f.check_keys(("size", "rotation", "fit", "background", "driver", "fullscreen", "max_fps",
                  "hide_cursor"))
    size = None
    if f.has("size") and f.raw("size") != "native":
        size = f.parse("size", parse_size, None)
    return DisplayConfig(
        size=size,
        rotation=f.choice("rotation", ROTATIONS, 0),
        fit=f.choice("fit", FITS, "contain"),
        background=f.parse("background", parse_color, (0, 0, 0)),
        driver=f.choice("driver", DRIVERS, "auto"),
        fullscreen=f.boolean("fullscreen", True),
        max_fps=f.integer("max_fps", 30, 1, 120),
        hide_cursor=f.boolean("hide_cursor", True),
    )


def _fonts(f: Fields) -> FontsConfig:
    f.check_keys(("latin", "cjk", "cjk_index"))
    index = f.integer("cjk_index", -1, 0, 64) if f.has("cjk_index") else None
    return FontsConfig(latin=f.string("latin"), cjk=f.string("cjk"),
                       cjk_index=None if index == -1 else index)


def _hours_list(f: Fields, key: str) -> tuple[HoursWindow, ...]:
    windows = []
    for _i, entry, path, line in f.entries(key):
        try:
            windows.append(parse_hours_range(entry))
        except ValueError as exc:
            f.problems.error(line, path, str(exc))
            continue
        if equal_ends(windows[-1]):
            f.problems.warn(line, path, EQUAL_ENDS_WARNING)
    return tuple(windows)


def _sync(f: Fields) -> SyncConfig:
    from player.core.manifest import public_key_problem, source_problem

    f.check_keys(("sources", "public_keys", "channel", "interval", "jitter", "timeout",
                  "bandwidth_limit", "hours", "min_free", "max_manifest_bytes"))
    d = SyncConfig()
    lists: dict[str, list[str]] = {"sources": [], "public_keys": []}
    for key, problem_of in (("sources", source_problem), ("public_keys", public_key_problem)):
        raw = f.raw(key)
        entries = f.entries(key) if isinstance(raw, list) else (
            [(0, raw, f.key_path(key), f.line_of(key))] if raw is not None else [])
        for _i, entry, path, line in entries:
            problem = problem_of(entry.strip()) if isinstance(entry, str) else "expected text"
            if problem:
                f.problems.error(line, path, problem)
            else:
                lists[key].append(entry.strip())
    if lists["sources"] and not f.has("public_keys"):
        f.error("sources", "sync.public_keys is needed too: content is accepted only when signed "
                "by a key listed there (signage-player keygen prints it)")
    interval = f.parse("interval", parse_duration, d.interval)
    if interval < 10:
        f.error("interval", f"expected at least 10s between polls, got {interval:g}s")
        interval = d.interval
    return SyncConfig(
        sources=tuple(lists["sources"]),
        public_keys=tuple(lists["public_keys"]),
        channel=f.string("channel"),
        interval=interval,
        jitter=f.number("jitter", d.jitter, 0, 1),
        timeout=f.parse("timeout", parse_duration, d.timeout),
        bandwidth_limit=f.parse("bandwidth_limit", parse_bytes, 0),
        hours=_hours_list(f, "hours"),
        min_free=f.parse("min_free", parse_bytes, d.min_free),
        max_manifest_bytes=f.parse("max_manifest_bytes", parse_bytes, d.max_manifest_bytes),
    )


def _sensors(f: Fields) -> tuple[SensorConfig, ...]:
    sensors = []
    for _i, entry, path, line in f.entries("sensors"):
        s = Fields(entry, path, f.problems, line)
        s.check_keys(("name", "path", "kind", "scale"))
        if not s.has("name") or not s.has("path"):
            f.problems.error(line, path, "a sensor needs a name and a path")
            continue
        sensors.append(SensorConfig(
            name=s.string("name"), path=s.string("path"),
            kind=s.choice("kind", ("temperature", "humidity", "other"), "temperature"),
            scale=s.number("scale", 1.0)))
    return tuple(sensors)


def _health(f: Fields) -> HealthConfig:
    f.check_keys(("report_url", "token", "interval", "upload_interval", "screenshot_interval",
                  "screenshot_width", "spool_limit", "sensors", "max_temperature", "max_humidity",
                  "min_disk_free", "prometheus_textfile", "write_interval", "dew_point_margin",
                  "dew_point_hold", "smart_interval"))
    d = HealthConfig()
    url = f.string("report_url")
    if url and not url.startswith(("http://", "https://")):
        f.error("report_url", f'expected an http:// or https:// address, got "{url}"')
    intervals = {}
    for key in ("interval", "upload_interval"):
        intervals[key] = f.parse(key, parse_duration, getattr(d, key))
        if intervals[key] < 1:
            f.error(key, "expected at least 1s")
            intervals[key] = getattr(d, key)  # the value used is the default, as the log says
    if url and not f.string("token"):
        f.warn("token", "no token: the hub will refuse the reports (401)")
    spool_limit = f.parse("spool_limit", parse_bytes, d.spool_limit)
    if spool_limit < 1000**2:
        f.error("spool_limit", "expected at least 1MB (the spool keeps reports through outages)")
        spool_limit = d.spool_limit
    return HealthConfig(
        report_url=url,
        token=f.string("token"),
        **intervals,
        screenshot_interval=f.parse("screenshot_interval", parse_duration, d.screenshot_interval),
        screenshot_width=f.integer("screenshot_width", d.screenshot_width, 64, 3840),
        spool_limit=spool_limit,
        sensors=_sensors(f),
        max_temperature=f.number("max_temperature", d.max_temperature),
        max_humidity=f.number("max_humidity", d.max_humidity, 0, 100),
        min_disk_free=f.parse("min_disk_free", parse_bytes, d.min_disk_free),
        prometheus_textfile=f.string("prometheus_textfile"),
        write_interval=f.parse("write_interval", parse_duration, d.write_interval),
        dew_point_margin=f.number("dew_point_margin", d.dew_point_margin, 0, 30),
        dew_point_hold=f.parse("dew_point_hold", parse_duration, d.dew_point_hold),
        smart_interval=f.parse("smart_interval", parse_duration, d.smart_interval),
    )


MAX_AUDIO_LATENCY_MS = 2000  # beyond this a sink is broken, not slow


def _volume(f: Fields, key: str, default: float) -> float:
    """Volumes are written 0-100 (percent) in YAML and kept 0.0-1.0 inside."""
    return f.number(key, default * 100, 0, 100) / 100


def _audio(f: Fields) -> AudioConfig:
    f.check_keys(("enabled", "volume", "quiet_hours", "latency"))
    quiet = []
    for _i, entry, path, line in f.entries("quiet_hours"):
        q = Fields(entry, path, f.problems, line)
        q.check_keys(("hours", "volume"))
        if not q.has("hours"):
            f.problems.error(line, path, 'quiet hours need "hours", like "21:00-06:00"')
            continue
        hours = q.parse("hours", parse_hours_range, None)
        if hours:
            quiet.append(QuietHours(hours=hours, volume=_volume(q, "volume", 0.0)))
    return AudioConfig(enabled=f.boolean("enabled", True), volume=_volume(f, "volume", 0.8),
                       quiet_hours=tuple(quiet),
                       latency=f.integer("latency", 0, 0, MAX_AUDIO_LATENCY_MS) / 1000)


def _power(f: Fields) -> PowerConfig:
    import shlex  # only this section needs it

    f.check_keys(("off_hours", "off_command", "on_command"))
    commands = {}
    for key in ("off_command", "on_command"):
        command = f.string(key)
        try:
            shlex.split(command)
        except ValueError as exc:  # an unclosed quote: the command could never run
            f.error(key, f"cannot split this command into words ({exc}); it runs without a "
                    "shell, so quote like a shell would but use no pipes or redirections")
            command = ""
        commands[key] = command
    return PowerConfig(off_hours=_hours_list(f, "off_hours"), **commands)


def _remote(f: Fields) -> RemoteConfig:
    f.check_keys(("enabled", "allowed", "log_file", "max_per_hour", "poll_wait"))
    d = RemoteConfig()
    allowed = f.string_list("allowed", d.allowed)
    unknown = [kind for kind in allowed if kind not in REMOTE_KINDS]
    if unknown:
        f.error("allowed", _("unknown remote command {kind}; the commands are: {kinds}").format(
            kind=f'"{unknown[0]}"', kinds=", ".join(REMOTE_KINDS)))
        allowed = tuple(kind for kind in allowed if kind in REMOTE_KINDS)
    wait = f.parse("poll_wait", parse_duration, d.poll_wait)
    if not 0 <= wait <= 300:
        f.error("poll_wait", _("expected from 0s to 5m"))
        wait = d.poll_wait
    return RemoteConfig(enabled=f.boolean("enabled", d.enabled), allowed=allowed,
                        log_file=f.string("log_file"),
                        max_per_hour=f.integer("max_per_hour", d.max_per_hour, 1, 1000),
                        poll_wait=wait)

