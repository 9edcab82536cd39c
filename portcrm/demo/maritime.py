"""Carriers, vessels, ports and cargo of the demo: real-world shapes (owner codes, voyages, B/L styles)."""

from __future__ import annotations

from dataclasses import dataclass

from portcrm.enums import CargoEventType as E


@dataclass(frozen=True, slots=True)
class Carrier:
    bl_prefix: str
    owner_codes: tuple[str, ...]  # ISO 6346 owner codes of the carrier's own boxes
    seal_prefix: str
    week_voyages: bool  # Maersk-style voyages are year+week ("2451W"), others a running number ("045E")


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    zh: str
    lane: str
    transit_days: int


CARRIERS: dict[str, Carrier] = {
    "COSCO": Carrier("COSU", ("COSU", "CSNU", "CBHU"), "CN", False),
    "MAERSK": Carrier("MAEU", ("MSKU", "MRKU", "MAEU"), "ML-CN", True),
    "OOCL": Carrier("OOLU", ("OOLU", "OOCU"), "OOL", False),
    "CMA CGM": Carrier("CMDU", ("CMAU", "CGMU"), "F", False),
    "EVERGREEN": Carrier("EGLV", ("EGLU", "EGHU", "EISU"), "EMC", False),
    "MSC": Carrier("MEDU", ("MEDU", "MSCU"), "FX", False),
    "HAPAG-LLOYD": Carrier("HLCU", ("HLXU", "HLBU"), "HLD", False),
    "ONE": Carrier("ONEY", ("ONEU",), "ONE", False),
    "HMM": Carrier("HDMU", ("HMMU",), "HMM", False),
    "YANG MING": Carrier("YMLU", ("YMLU", "YMMU"), "YMA", False),
}
# Leasing companies' boxes travel under every carrier.
LESSOR_OWNER_CODES: tuple[str, ...] = ("TGHU", "TCLU", "TEMU", "SEGU", "FCIU", "BMOU", "TRHU", "CAIU")

# (vessel, carrier, IMO number): one IMO number fails its check digit on purpose, as real ones sometimes do.
VESSELS: tuple[tuple[str, str, str], ...] = (
    ("COSCO SHIPPING UNIVERSE", "COSCO", "9549528"),
    ("COSCO SHIPPING TAURUS", "COSCO", "9870666"),
    ("COSCO SHIPPING ARIES", "COSCO", "9436757"),
    ("COSCO PRIDE", "COSCO", "9687928"),
    ("MAERSK ESSEN", "MAERSK", "9797084"),
    ("MAERSK EINDHOVEN", "MAERSK", "9368716"),
    ("MAERSK HANGZHOU", "MAERSK", "9313802"),
    ("OOCL HONG KONG", "OOCL", "9792022"),
    ("OOCL GERMANY", "OOCL", "9571959"),
    ("OOCL NINGBO", "OOCL", "9877535"),
    ("CMA CGM JACQUES SAADE", "CMA CGM", "9545716"),
    ("CMA CGM MARCO POLO", "CMA CGM", "9501057"),
    ("EVER ACE", "EVERGREEN", "9793105"),
    ("EVER GOLDEN", "EVERGREEN", "9867255"),
    ("EVER LIBRA", "EVERGREEN", "9876335"),
    ("MSC GULSUN", "MSC", "9799496"),
    ("MSC LORETO", "MSC", "9716420"),
    ("MSC IRINA", "MSC", "9457933"),
    ("BERLIN EXPRESS", "HAPAG-LLOYD", "9543184"),
    ("HAMBURG EXPRESS", "HAPAG-LLOYD", "9458987"),
    ("ONE APUS", "ONE", "9848596"),
    ("ONE INNOVATION", "ONE", "9708875"),
    ("HMM ALGECIRAS", "HMM", "9315886"),
    ("HMM OSLO", "HMM", "9367141"),
    ("YM WELLNESS", "YANG MING", "9467146"),
    ("YM WARRANTY", "YANG MING", "9344863"),
)

HOME_PORT = Port("Ningbo", "宁波", "home", 0)
PORTS: tuple[Port, ...] = (
    Port("Los Angeles", "洛杉矶", "transpacific", 14),
    Port("Long Beach", "长滩", "transpacific", 15),
    Port("Seattle", "西雅图", "transpacific", 13),
    Port("Vancouver", "温哥华", "transpacific", 13),
    Port("Rotterdam", "鹿特丹", "europe", 32),
    Port("Hamburg", "汉堡", "europe", 34),
    Port("Antwerp", "安特卫普", "europe", 33),
    Port("Felixstowe", "费利克斯托", "europe", 31),
    Port("Piraeus", "比雷埃夫斯", "europe", 24),
    Port("Singapore", "新加坡", "asia", 6),
    Port("Busan", "釜山", "asia", 2),
    Port("Tokyo", "东京", "asia", 3),
    Port("Kaohsiung", "高雄", "asia", 3),
    Port("Hong Kong", "香港", "asia", 3),
    Port("Ho Chi Minh City", "胡志明市", "asia", 5),
    Port("Laem Chabang", "林查班", "asia", 7),
    Port("Port Klang", "巴生港", "asia", 7),
    Port("Jebel Ali", "杰贝阿里", "middle_east", 16),
    Port("Nhava Sheva", "那瓦舍瓦", "middle_east", 14),
    Port("Sydney", "悉尼", "oceania", 14),
    Port("Santos", "桑托斯", "latin_america", 35),
    Port("Durban", "德班", "africa", 22),
)
# The bound letter of an export voyage per lane; imports run the other way.
EXPORT_BOUND: dict[str, str] = {
    "transpacific": "E",
    "europe": "W",
    "asia": "S",
    "middle_east": "W",
    "oceania": "S",
    "latin_america": "E",
    "africa": "W",
}
INBOUND: dict[str, str] = {"E": "W", "W": "E", "S": "N", "N": "S"}

# The port's own places, as its staff and its terminal system write them (in Chinese); what comes from a bill
# of lading (vessels, ports of loading and discharge, cargo descriptions) stays in English, as on the B/L.
TERMINALS: tuple[str, ...] = ("北仑集装箱码头", "梅山集装箱码头", "穿山集装箱码头", "大榭集装箱码头")
EMPTY_DEPOTS: tuple[str, ...] = ("北仑空箱堆场", "镇海空箱堆场")
CUSTOMS_AREA = "宁波海关查验场"

# (ISO size-type, how common, typical cargo weight in kg)
SIZE_TYPES: tuple[tuple[str, int, int], ...] = (
    ("45G1", 45, 12_000),
    ("42G1", 20, 14_000),
    ("22G1", 35, 16_000),
)
REEFER: tuple[str, int, int] = ("45R1", 1, 22_000)

# Cargo keys: (how the archive names them, B/L descriptions of exports).
EXPORT_CARGO: dict[str, tuple[str, tuple[str, ...]]] = {
    "electronics": (
        "电子产品",
        ("LED LIGHTING FIXTURES", "BLUETOOTH SPEAKERS", "LITHIUM BATTERY PACKS (UN3480)"),
    ),
    "appliances": ("家用电器", ("MICROWAVE OVENS", "ELECTRIC KETTLES", "AIR CONDITIONERS (SPLIT TYPE)")),
    "small_commodities": (
        "日用小商品",
        ("CHRISTMAS DECORATIONS", "STATIONERY AND TOYS", "PLASTIC HOUSEWARES"),
    ),
    "textiles": ("纺织服装", ("POLYESTER FABRICS", "MEN'S COTTON SHIRTS", "KNITTED SWEATERS")),
    "machinery": ("机械设备", ("INJECTION MOULDING MACHINES", "WATER PUMPS", "CNC LATHE PARTS")),
    "furniture": ("家具家居", ("FLAT-PACKED FURNITURE", "OFFICE CHAIRS", "BATHROOM CABINETS")),
    "plastics": ("塑料制品", ("PP WOVEN BAGS", "PLASTIC STORAGE BOXES", "PVC FLOORING")),
    "hardware": ("五金工具", ("HAND TOOLS", "STAINLESS STEEL FASTENERS", "DOOR HARDWARE")),
    "auto_parts": ("汽车零部件", ("BRAKE DISCS", "ALUMINIUM ALLOY WHEELS", "AUTO LAMPS")),
    "solar": ("光伏组件", ("SOLAR PV MODULES", "PV INVERTERS", "SOLAR MOUNTING BRACKETS")),
}
IMPORT_CARGO: tuple[str, ...] = (
    "WOOD PULP",
    "FROZEN PORK (REEFER)",
    "MILK POWDER",
    "RED WINE IN BOTTLES",
    "POLYETHYLENE GRANULES",
    "MACHINERY PARTS",
    "KRAFT PAPER",
    "FROZEN SHRIMP (REEFER)",
    "CHERRIES (REEFER)",
    "COSMETICS",
)
SERVICE_CARGO: dict[str, str] = {
    "warehouse": "普通货物、冷藏货物",
    "stevedoring": "集装箱、件杂货",
    "trucking": "集装箱（20/40尺）",
}

HOUR = 60  # the steps count in minutes
DAY = 24 * HOUR
# How terminal events follow each other: (event, one per container?, gap before it in minutes (min, max)).
EXPORT_STEPS = (
    (E.BOOKING_CONFIRMED, False, (0, 0)),
    (E.EMPTY_PICKUP, True, (2 * DAY, 5 * DAY)),
    (E.GATE_IN, True, (1 * DAY, 3 * DAY)),
    (E.LOADED, True, (1 * DAY, 3 * DAY)),
    (E.VESSEL_DEPARTED, False, (4 * HOUR, 12 * HOUR)),
)
ARRIVAL_STEPS = ((E.VESSEL_ARRIVED, False, (0, 0)), (E.DISCHARGED, True, (6 * HOUR, 18 * HOUR)))
CUSTOMS_HOLD_STEPS = (
    (E.CUSTOMS_HOLD, False, (4 * HOUR, 20 * HOUR)),
    (E.CUSTOMS_RELEASED, False, (1 * DAY, 4 * DAY)),
)
CUSTOMS_CLEAR_STEPS = ((E.CUSTOMS_RELEASED, False, (8 * HOUR, 36 * HOUR)),)
PAYMENT_HOLD_STEPS = (
    (E.PAYMENT_HOLD, False, (1 * HOUR, 6 * HOUR)),
    (E.PAYMENT_RELEASED, False, (1 * DAY, 4 * DAY)),
)
RELEASE_STEPS = (
    (E.AVAILABLE_FOR_PICKUP, False, (1 * HOUR, 6 * HOUR)),
    (E.GATE_OUT, True, (12 * HOUR, 4 * DAY)),
    (E.DELIVERED, True, (3 * HOUR, 10 * HOUR)),
)
