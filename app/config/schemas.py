from typing import Literal

from pydantic import BaseModel


class TileLayer(BaseModel):
    url: str  # a Leaflet URL template: {s} {z} {x} {y}
    subdomains: str


class MapConfig(BaseModel):
    layers: list[TileLayer]  # base first, then overlays (labels); empty: no tiles
    crs: Literal["wgs84", "gcj02"]  # what the tiles expect; positions are stored WGS-84 and converted
    attribution: str


class PublicConfig(BaseModel):
    map: MapConfig
    demo_logins: bool
