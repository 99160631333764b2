"""Parse speed of ``core.importing.parse_statement`` on a realistic 100,000-row CSV.

The file is generated in memory: a German online-banking export (Sparkasse layout) with
three lines of account details above the table, semicolons, decimal commas with thousands
dots, ``dd.mm.yyyy`` dates, latin-1 text with umlauts, card payments with terminal ids and
times, SEPA direct debits with mandate references, transfers, and about 1% pending rows.
Prints the median of 3 runs (and each run) in seconds and rows per second.

Run: ``python bench/parse_bench.py [rows]``
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.importing import parse_statement  # noqa: E402

log = logging.getLogger(__name__)

MERCHANTS = [
    "REWE SAGT DANKE",
    "EDEKA MÜLLER",
    "ALDI SÜD",
    "LIDL DIENSTLEISTUNG",
    "DM DROGERIE MARKT",
    "ROSSMANN",
    "SHELL DEUTSCHLAND",
    "ARAL STATION",
    "IKEA DEUTSCHLAND",
    "MEDIAMARKT",
    "SATURN ELECTRO",
    "BÄCKEREI KAMPS",
    "STARBUCKS COFFEE",
    "MCDONALDS",
    "BURGER KING",
    "DEUTSCHE BAHN",
    "MVG MÜNCHEN",
    "APOTHEKE AM MARKT",
    "H&M",
    "ZARA DEUTSCHLAND",
    "DOUGLAS PARFÜMERIE",
    "OBI BAUMARKT",
    "HORNBACH",
    "TCHIBO",
    "KAUFLAND",
    "NETTO MARKEN-DISCOUNT",
    "PENNY MARKT",
    "THALIA BÜCHER",
    "DECATHLON",
    "FRESSNAPF",
]
CITIES = ["MÜNCHEN", "BERLIN", "HAMBURG", "KÖLN", "FRANKFURT", "STUTTGART", "DÜSSELDORF", "LEIPZIG"]
DEBITS = [
    ("Vodafone GmbH", "Ihre Rechnung {n} Kundennr. {k}"),
    ("Stadtwerke München", "Abschlag Strom {m}/{y}"),
    ("Allianz Versicherungs-AG", "Beitrag KFZ-Versicherung Vertrag {k}"),
    ("Netflix International B.V.", "Netflix Monatsabo {n}"),
    ("Spotify AB", "Spotify Premium {n}"),
    ("Hausverwaltung Schmidt & Söhne", "Miete {m}/{y} Whg. 3 OG links"),
    ("Techniker Krankenkasse", "Beitrag {m}/{y}"),
    ("Amazon EU S.a.r.l.", "{n} AMZN Mktp DE {k}"),
    ("PayPal Europe S.a.r.l. et Cie S.C.A", "PP.{k}.PP . {shop}, Ihr Einkauf bei {shop}"),
]


def generate_csv(rows: int, seed: int = 7) -> bytes:
    """The export as latin-1 bytes."""
    rng = random.Random(seed)
    lines = [
        '"Umsatzanzeige";"Girokonto";"DE12 7005 0000 0123 4567 89"',
        '"Zeitraum";"01.01.2019 - 31.12.2023"',
        '"Kontostand vom 31.12.2023";"12.345,67 EUR"',
        "",
        "Buchungstag;Valutadatum;Buchungstext;Verwendungszweck;Beguenstigter/Zahlungspflichtiger;"
        "Kontonummer/IBAN;Betrag;Waehrung;Info",
    ]
    day = dt.date(2019, 1, 1)
    for _ in range(rows):
        if rng.random() < 0.02:
            day += dt.timedelta(days=1)
        book = day.strftime("%d.%m.%Y")
        value = (day + dt.timedelta(days=rng.choice([0, 0, 1, 2]))).strftime("%d.%m.%Y")
        kind = rng.random()
        if kind < 0.6:
            shop = rng.choice(MERCHANTS)
            text, payee = "KARTENZAHLUNG", f"{shop} {rng.randint(1000, 9999)}//{rng.choice(CITIES)}/DE"
            clock = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
            purpose = f"{day.isoformat()}T{clock} Karte1 {rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}"
            amount = -rng.uniform(1, 180)
        elif kind < 0.85:
            payee, template = rng.choice(DEBITS)
            purpose = template.format(
                n=rng.randint(10**6, 10**7),
                k=rng.randint(10**8, 10**9),
                m=day.month,
                y=day.year,
                shop=rng.choice(MERCHANTS),
            )
            text, amount = "FOLGELASTSCHRIFT", -rng.uniform(5, 1500)
        elif kind < 0.95:
            first, last = rng.choice(["Anna", "Jörg", "Günther", "Lena"]), rng.choice(["Meyer", "Groß"])
            payee, purpose = f"{first} {last}", "Überweisung Geschenk"
            text, amount = "ONLINE-UEBERWEISUNG", -rng.uniform(10, 800)
        else:
            payee, purpose = "Arbeitgeber GmbH", f"LOHN/GEHALT {day.month:02d}/{day.year}"
            text, amount = "GUTSCHRIFT", rng.uniform(1800, 5200)
        formatted = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        info = "Umsatz vorgemerkt" if rng.random() < 0.01 else "Umsatz gebucht"
        iban = f"DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}"
        lines.append(
            f'"{book}";"{value}";"{text}";"{purpose}";"{payee}";"{iban}";"{formatted}";"EUR";"{info}"'
        )
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = generate_csv(rows)
    print(f"generated {rows:,} rows, {len(data) / 1e6:.1f} MB latin-1 CSV")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = parse_statement(data, "umsaetze.csv")
        times.append(time.perf_counter() - start)
        assert len(result.transactions) == rows, (len(result.transactions), result.rejected[:3])
    median = statistics.median(times)
    print("runs: " + ", ".join(f"{t:.2f} s" for t in times))
    print(f"median {median:.2f} s for {rows:,} rows = {rows / median:,.0f} rows/s")


if __name__ == "__main__":
    main()
