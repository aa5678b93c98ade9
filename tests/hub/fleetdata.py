"""A fleet in every state the triage knows, stored through the real HeartbeatStore.

Used by the fleet tests, the Chromium screenshots and docs/images/hub-*.png.
"""

from __future__ import annotations

import base64
import io
import math
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw

from player.hub.heartbeat_store import HeartbeatStore
from player.hub.ingest import check_batch
from tests.hub.hubtools import EVIL_NAME, report

TOKEN = "t" * 20
CLUSTERS = {
    "bangioc-1": {"token": TOKEN + "1", "name": "Bản Giốc – cổng chính", "channel": "ban-gioc"},
    "bangioc-2": {"token": TOKEN + "2", "name": "Bản Giốc – bến thuyền", "channel": "ban-gioc"},
    "tralinh": {"token": TOKEN + "3", "name": "Cửa khẩu Trà Lĩnh", "channel": "ban-gioc"},
    "popeo": {"token": TOKEN + "4", "name": "Cửa khẩu Pò Peo", "channel": "ban-gioc"},
    "ngoccon": {"token": TOKEN + "5", "name": "Chợ Ngọc Côn", "channel": "ban-gioc"},
    "damthuy": {"token": TOKEN + "6", "name": "UBND xã Đàm Thủy", "channel": "ban-gioc"},
    "evil": {"token": TOKEN + "7", "name": EVIL_NAME, "channel": "ban-gioc"},
}


def config_data(public_key: str) -> dict:
    return {"channels": {"ban-gioc": {"public_keys": [public_key]}}, "clusters": CLUSTERS,
            "alerts": {"stale_minutes": 12, "offline_minutes": 30, "max_temperature": 70,
                       "max_humidity": 85, "min_disk_free": "1GB"}}


def jpeg(colour: tuple[int, int, int], text: str) -> str:
    image = Image.new("RGB", (480, 270), colour)
    ImageDraw.Draw(image).text((20, 120), text, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return base64.b64encode(out.getvalue()).decode()


def heartbeat(cluster: str, seq: int, when: datetime, temperature: float, humidity: float,
              **summary) -> dict:
    beat = report(cluster=cluster, seq=seq, when=when)
    beat["summary"].update(temperature_celsius=round(temperature, 1),
                           humidity_percent=round(humidity, 1), **summary)
    return beat


def fill_fleet(store: HeartbeatStore, clock, now: float) -> None:
    """Store a week of history for each cluster; ``clock`` is the store's (it is moved)."""
    start = datetime.fromtimestamp(now, UTC)

    def put(cluster: str, reports: list[dict], received: float) -> None:
        clock.now = received
        store.store(check_batch(cluster, reports))

    def week(cluster: str, base_t: float, base_h: float, until_hours_ago: float = 0.5,
             **summary) -> int:
        """Half-hourly heartbeats for a week, arriving in batches of six hours."""
        seq, pending = 0, []
        for half_hours in range(7 * 48, int(until_hours_ago * 2) - 1, -1):
            when = start - timedelta(minutes=30 * half_hours)
            hour = (when.hour + 7) % 24
            daily = math.sin((hour - 9) / 24 * 2 * math.pi)
            seq += 1
            pending.append(heartbeat(cluster, seq, when, base_t + 8 * daily, base_h - 6 * daily,
                                     **summary))
            if len(pending) == 12 or half_hours == int(until_hours_ago * 2):
                put(cluster, pending, when.timestamp() + 5)
                pending = []
        return seq

    # dark: online, but the display is disconnected and the box is hot
    seq = week("bangioc-1", 58, 74)
    hot = heartbeat("bangioc-1", seq + 1, start, 75.5, 80, display_connected=False)
    lost = report("event", cluster="bangioc-1", seq=seq + 2, when=start - timedelta(minutes=20),
                  severity="error", event="display_disconnected",
                  message="no DRM connector reports connected (HDMI-A-1: disconnected)")
    plays = [report("play", cluster="bangioc-1", seq=seq + 3 + i, item=item,
                    when=start - timedelta(minutes=5 * i), release=3,
                    start=(start - timedelta(minutes=5 * i, seconds=secs)).isoformat()
                    .replace("+00:00", "Z"))
             for i, (item, secs) in enumerate([("thac-ban-gioc.jpg", 20), ("chao-mung.txt", 15),
                                               ("thac-ban-gioc.jpg", 20),
                                               ("phim-gioi-thieu.mp4", 95)] * 6)]
    shot = report("screenshot", cluster="bangioc-1", seq=seq + 40, when=start,
                  jpeg_base64=jpeg((20, 90, 160), "Thac Ban Gioc"), width=480, height=270)
    put("bangioc-1", [hot, lost, *plays, shot], now - 60)
    # dark: offline for three hours
    seq = week("tralinh", 45, 70, until_hours_ago=3)
    # warning: damp, disk low, out of date, and a device clock two days behind
    seq = week("bangioc-2", 40, 86)
    wrong = heartbeat("bangioc-2", seq + 1, start - timedelta(days=2), 41, 92,
                      disk_free_bytes=0.6e9)
    wrong["player"]["release"] = 2
    wrong["clock_synced"] = False
    event = report("event", cluster="bangioc-2", seq=seq + 2, severity="warning",
                   event="decode_failed", message="media/phim.mp4: invalid data found when "
                   "processing input <b>not bold</b>")
    put("bangioc-2", [wrong, event], now - 120)
    # off by schedule: the render loop shows its blank "screen-off" item
    seq = week("popeo", 35, 65)
    off = heartbeat("popeo", seq + 1, start, 34, 66)
    off["player"]["item"] = "screen-off"
    put("popeo", [off], now - 30)
    # fine
    seq = week("ngoccon", 42, 60)
    restart = report("event", cluster="ngoccon", seq=seq + 1, severity="warning",
                     event="restarted", message="the machine rebooted under a running player")
    put("ngoccon", [restart, heartbeat("ngoccon", seq + 2, start, 44, 61)], now - 45)
    put("evil", [report(cluster="evil", seq=1, when=start),
                 report("event", cluster="evil", seq=2, when=start,
                        message='<img src=x onerror="alert(1)">', event="<b>x</b>")], now - 10)
    clock.now = now
