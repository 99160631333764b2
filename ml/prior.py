"""Built-in knowledge for a brand-new user: taxonomy, merchant keywords, category descriptions.

- :data:`DEFAULT_CATEGORIES`: the leaves of the default taxonomy the app seeds for every user
  (``core.taxonomy``, mirrored by the foundation migration; a test keeps the three equal), in
  the taxonomy's order: the prior's own label space. The leaf names are unique and are the
  category strings everywhere.
- :data:`KEYWORDS`: an international merchant/keyword lexicon (UK, US, EU and South African
  chains plus generic words). A keyword starting with ``~`` is *weak* (generic or ambiguous,
  e.g. "insurance"); one starting with ``!`` is *decisive* and beats brand names (a "fee"
  charged on a Netflix payment is a bank fee); the others are distinctive brand names.
- :data:`DESCRIPTIONS`: a short description of each leaf, matched against descriptions by
  embedding similarity (zero-shot) in :mod:`ml.categorizer`.
- :data:`EXPECTED_SIGN`: whether a leaf is usually money in (+1), out (-1) or either (0).

Pure data plus :func:`lexicon_match`; the categorizer turns these into low-confidence
predictions when the user has no history. :func:`shared_table` turns the *shared* prior (how
consenting users file merchants, aggregated by the job process) into the same leaf space.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

log = logging.getLogger(__name__)

DESCRIPTIONS: dict[str, str] = {
    "Salary": "salary, wages, payroll from an employer",
    "Interest & Dividends": "interest received on savings, dividends",
    "Refunds": "refund, reversal or cashback from a shop",
    "Other Income": "money received, deposit, winnings, other income",
    "Rent & Mortgage": "rent to a landlord or mortgage payment",
    "Utilities": "electricity, gas, water and energy bills",
    "Home Insurance": "home, contents, buildings or life insurance premium",
    "Home Maintenance": "home repairs, hardware store, garden, cleaning service",
    "Groceries": "supermarket, grocery store, butcher, food shopping",
    "Restaurants": "restaurant, bistro, dining out",
    "Coffee & Snacks": "coffee shop, cafe, bakery, snacks",
    "Takeaway & Delivery": "fast food, takeaway, food delivery",
    "Fuel": "petrol station, fuel, gas station",
    "Public Transport": "train, bus, metro, rail tickets",
    "Taxi & Rideshare": "taxi, Uber ride, rideshare",
    "Car Maintenance": "car service, mechanic, tyres, car wash",
    "Parking & Tolls": "parking fee, road tolls",
    "Phone & Internet": "mobile phone, airtime, data bundle, broadband internet",
    "Streaming": "video and music streaming subscription, TV",
    "Software": "software, apps, cloud storage subscription",
    "Memberships": "club membership, association dues",
    "Clothing": "clothes, shoes, fashion store",
    "Electronics": "electronics, computers, phones, appliances",
    "Household": "homeware, furniture, household goods store",
    "Online Shopping": "online marketplace order",
    "Pharmacy": "pharmacy, chemist, medicines, toiletries",
    "Doctor & Dentist": "doctor, dentist, clinic, hospital, medical",
    "Health Insurance": "health insurance, medical aid",
    "Fitness": "gym membership, fitness, sports club",
    "Events & Culture": "cinema, concert tickets, theatre, museum",
    "Hobbies": "hobby, crafts, sports equipment",
    "Games": "video games, gaming, lottery, betting",
    "Flights": "airline tickets, flights",
    "Accommodation": "hotel, guest house, holiday rental",
    "Holiday Activities": "tours, excursions and activities on holiday",
    "Tuition": "school fees, university tuition",
    "Books & Courses": "books, online courses, learning",
    "Hair & Beauty": "hairdresser, barber, beauty salon, nails, laundry",
    "Childcare": "nursery, daycare, childcare",
    "Kids Activities": "children's clubs, lessons and activities",
    "Pets": "pet shop, vet, pet food",
    "Gifts": "gifts, flowers, presents",
    "Charity": "charity donation",
    "Bank Fees": "bank fees, service charges, notification fee",
    "Interest Charges": "interest charged on overdraft, loan or credit card",
    "ATM Withdrawal": "ATM cash withdrawal",
    "Income Tax": "income tax payment to the tax authority",
    "Other Taxes": "council tax, property tax, vehicle tax, licence",
    "Loan Repayment": "loan repayment, instalment, credit provider",
    "Between Accounts": "transfer between own accounts",
    "Credit Card Payment": "credit card repayment",
    "Savings & Investments": "transfer to savings, investment, brokerage",
}
DEFAULT_CATEGORIES: list[str] = list(DESCRIPTIONS)

EXPECTED_SIGN: dict[str, int] = {leaf: -1 for leaf in DEFAULT_CATEGORIES}
EXPECTED_SIGN.update({"Salary": 1, "Interest & Dividends": 1, "Refunds": 1, "Other Income": 1,
                      "Between Accounts": 0, "Savings & Investments": 0})

KEYWORDS: dict[str, str] = {
    "Salary": "salary|salaries|payroll|wages|~wage|gehalt|lohn|salaire|nomina|~bonus",
    "Interest & Dividends": "~interest|interest received|credit interest|interest paid|"
                            "interest earned|dividend|dividends|interest rebate",
    "Refunds": "refund|reversal|~returned|cashback|~rebate|chargeback|reimbursement",
    "Other Income": "~payment received|~received|~deposit|cash deposit|winnings|~prize",
    "Rent & Mortgage": "rent|rental|lettings|letting agent|landlord|mortgage|home loan|"
                       "bond repayment|miete|loyer",
    "Utilities": "electricity|~electric|~gas|~water|~energy|~power|utility|british gas|"
                 "octopus energy|edf|e.on|eon energy|npower|ovo|scottish power|thames water|"
                 "eskom|city power|prepaid electricity|~municipality|pg&e|con edison|"
                 "duke energy|stadtwerke|vattenfall|engie|iberdrola|endesa",
    "Home Insurance": "home insurance|buildings insurance|contents insurance|hausrat|"
                      "~insurance|~assurance|~versicherung|aviva|allianz|axa|direct line|"
                      "santam|outsurance|hollard|state farm|life insurance|~ins",
    "Home Maintenance": "plumber|plumbing|electrician|handyman|~repairs|~maintenance|~garden|"
                        "locksmith|builders warehouse|leroy merlin|screwfix|toolstation|"
                        "~hardware|pest control|home depot|lowe's|lowes|bunnings|"
                        "homebase|b&q|bauhaus|hornbach|obi",
    "Groceries": "tesco|sainsbury|sainsburys|asda|morrisons|waitrose|aldi|lidl|co-op|coop|"
                 "ocado|walmart|kroger|safeway|whole foods|trader joe|costco|publix|"
                 "albertsons|wegmans|carrefour|rewe|edeka|albert heijn|jumbo|auchan|leclerc|"
                 "intermarche|mercadona|spar|billa|penny|netto|kaufland|delhaize|colruyt|"
                 "esselunga|monoprix|franprix|woolworths|pick n pay|pnp|checkers|shoprite|"
                 "boxer|food lover|usave|supermarket|~grocery|~groceries|butcher|~meats|"
                 "~fresh produce|~market|~foods",
    "Restaurants": "restaurant|bistro|~grill|pizzeria|trattoria|sushi|steakhouse|spur|"
                   "ocean basket|nandos|wagamama|pizza express|vapiano|tapas|brasserie|"
                   "~diner|~tavern|~pub|wimpy|~kitchen|osteria|~eatery",
    "Coffee & Snacks": "starbucks|costa|pret|caffe nero|greggs|dunkin|tim hortons|coffee|"
                       "~cafe|~caffe|espresso|~bakery|vida e caffe|seattle coffee|"
                       "mugg & bean|~snack|~biltong",
    "Takeaway & Delivery": "deliveroo|uber eats|just eat|doordash|grubhub|mr d|mcdonalds|"
                           "mcd|kfc|burger king|steers|domino|dominos|pizza hut|debonairs|"
                           "subway|five guys|chipotle|taco bell|wendy's|~takeaway|~take away|"
                           "~delivery|~fast food|~burger|~pizza|~chicken",
    "Fuel": "shell|bp|esso|exxon|chevron|texaco|totalenergies|engen|sasol|caltex|astron|"
            "q8|aral|repsol|petrol|~fuel|gas station|mobil|valero|sunoco|circle k",
    "Public Transport": "tfl|oyster|~metro|~rail|railway|trainline|national rail|"
                        "deutsche bahn|db bahn|sncf|~bus|gautrain|metrorail|mta|bart|"
                        "~transit|~tram|amtrak|greyhound|flixbus|eurostar|ov-chipkaart",
    "Taxi & Rideshare": "uber|bolt|lyft|taxi|~cab|free now|freenow|grab|didi",
    "Car Maintenance": "kwik fit|halfords|autozone|tyre|tyres|~tire|car wash|carwash|"
                       "mechanic|~garage|midas|jiffy lube|supa quick|tiger wheel|"
                       "~auto service|~panel beater",
    "Parking & Tolls": "parking|~parkin|q-park|easypark|ringgo|paybyphone|toll|e-toll|"
                       "sanral|ncp|parkmobile|spothero",
    "Phone & Internet": "vodafone|vodacom|mtn|telkom|cell c|telkommobi|o2|ee|~three|"
                        "~orange|t-mobile|verizon|at&t|bt group|virgin media|~sky|"
                        "comcast|xfinity|~spectrum|airtime|data bundle|~prepaid|~mobile|"
                        "broadband|fibre|fiber|~internet|telekom|bouygues|sfr|afrihost|"
                        "webafrica|~rain",
    "Streaming": "netflix|spotify|disney plus|disney+|disneyplus|hulu|hbo|prime video|"
                 "apple tv|youtube premium|deezer|tidal|showmax|dstv|multichoice|paramount|"
                 "peacock|crunchyroll|apple music|now tv|itunes",
    "Software": "microsoft|msft|office 365|adobe|google one|google storage|icloud|"
                "apple.com/bill|apple com bill|dropbox|github|openai|chatgpt|notion|zoom|"
                "slack|canva|1password|lastpass|nordvpn|expressvpn|jetbrains|aws|"
                "digitalocean|godaddy|~google",
    "Memberships": "membership|!membership fee|!membership fees|~subscription|~club|"
                   "amazon prime|patreon|national trust|"
                   "~association|~union dues",
    "Clothing": "h&m|zara|uniqlo|primark|gap|~next|nike|adidas|mr price|truworths|edgars|"
                "foschini|markham|cotton on|pep|ackermans|asos|~shoes|~clothing|~fashion|"
                "boutique|old navy|tj maxx|marshalls|c&a|mango|bershka|pull&bear|"
                "sports direct|jet|legit|superbalist|sportscene|totalsports",
    "Electronics": "currys|mediamarkt|media markt|best buy|apple store|samsung|"
                   "incredible connection|hifi corp|saturn|fnac|darty|istore|~electronics|"
                   "~computer|dell|lenovo|~appliance|~appliances",
    "Household": "ikea|action|wilko|the range|bed bath|hema|~home store|~homeware|"
                 "mr price home|@home|~furniture|~laundry|dunelm|argos|game stores|makro",
    "Online Shopping": "amazon|amzn|ebay|~paypal|takealot|aliexpress|temu|shein|zalando|"
                       "bol.com|cdiscount|otto|wish.com|~online purchase|~online",
    "Pharmacy": "boots|dm drogerie|rossmann|cvs|walgreens|rite aid|clicks|dis-chem|dischem|"
                "pharmacy|chemist|apotheke|pharmacie|superdrug|~drogerie",
    "Doctor & Dentist": "dental|dentist|doctor|~dr|clinic|~medical|hospital|physio|"
                        "optometrist|optician|specsavers|netcare|mediclinic|pathology|"
                        "lancet|ampath|~health",
    "Health Insurance": "health insurance|medical aid|discovery health|bupa|vitality|"
                        "bonitas|aetna|cigna|blue cross|kaiser|unitedhealthcare|krankenkasse",
    "Fitness": "~gym|puregym|fitness first|basic-fit|planet fitness|virgin active|"
               "anytime fitness|david lloyd|gym group|crossfit|yoga|pilates|equinox|peloton|"
               "classpass|~fitness|~sport|~sports",
    "Events & Culture": "ticketmaster|cinema|cineworld|odeon|~vue|ster-kinekor|nu metro|amc|"
                        "regal|theatre|theater|museum|concert|computicket|eventbrite|"
                        "live nation|see tickets|~gallery|festival|~tickets|~party",
    "Hobbies": "hobbycraft|decathlon|~craft|~crafts|~music store|golf|~fishing|~cycles|"
               "~bike|~hobby|~lego",
    "Games": "steam|steamgames|playstation|psn|xbox|nintendo|epic games|blizzard|roblox|"
             "lotto|lottery|powerball|casino|betting|bet365|betway|hollywoodbets|gambling|"
             "~games|~gaming|~bet",
    "Flights": "ryanair|easyjet|klm|british airways|lufthansa|air france|emirates|"
               "qatar airways|delta air|united airlines|american airlines|southwest|jetblue|"
               "wizz air|vueling|flysafair|kulula|airlink|south african airways|airline|"
               "airways|~flight|~flights",
    "Accommodation": "booking.com|booking com|airbnb|~hotel|hostel|expedia|hotels.com|marriott|"
                     "hilton|hyatt|ibis|premier inn|travelodge|~lodge|guest house|guesthouse|"
                     "b&b|~resort|protea|city lodge",
    "Holiday Activities": "getyourguide|viator|~tours|~tour|excursion|safari|klook|"
                          "water park|ski pass",
    "Tuition": "tuition|!school fees|!tuition fees|!tuition fee|university|college|~school|"
               "unisa|~academy|~learning",
    "Books & Courses": "waterstones|udemy|coursera|audible|kindle|barnes & noble|"
                       "exclusive books|~cna|~book|~books|bookshop|skillshare|duolingo|"
                       "masterclass|edx|pluralsight",
    "Hair & Beauty": "salon|~hair|barber|~beauty|~nails|~spa|sephora|ulta|~cosmetics|"
                     "hairdresser|~laundro|~massage",
    "Childcare": "nursery|daycare|day care|childcare|creche|kindergarten|kita|babysitter|"
                 "nanny|aftercare",
    "Kids Activities": "swim school|~junior|kids club|scouts|ballet|karate|holiday club",
    "Pets": "pets at home|zooplus|~vet|veterinary|petco|petsmart|~pet|~pets|fressnapf|"
            "absolute pets|chewy",
    "Gifts": "interflora|~flowers|florist|~gift|moonpig|hallmark|~etsy|john lewis",
    "Charity": "red cross|oxfam|unicef|charity|donation|~foundation|save the children|"
               "cancer research|gift of the givers|salvation army|~church|tithe|gofundme|"
               "justgiving",
    "Bank Fees": "!fee|!fees|~charge|~charges|service fee|monthly fee|admin fee|account fee|"
                 "~commission|overdraft fee|notification fee|sms notification|"
                 "insufficient funds|unpaid|~penalty|foreign transaction fee",
    "Interest Charges": "interest charge|debit interest|overdraft interest|finance charge|"
                        "purchase interest|interest on overdraft|dr interest",
    "ATM Withdrawal": "atm|cash withdrawal|cashpoint|~withdrawal|geldautomat|bankomat|"
                      "retrait|~cash",
    "Income Tax": "hmrc|irs|sars|~tax|income tax|self assessment|finanzamt|impots|"
                  "belastingdienst|~paye",
    "Other Taxes": "council tax|vat|property tax|road tax|dvla|tv licence|stamp duty|"
                   "~rates and taxes|vehicle licence",
    "Loan Repayment": "~loan|capfin|~finance|credit agreement|student loan|~instalment|"
                      "~installment|afterpay|affirm|~repayment|african bank|directaxis|"
                      "wonga|~lending",
    "Between Accounts": "~transfer|internal transfer|own account|~banking app payment|"
                        "~sweep|~tfr",
    "Credit Card Payment": "credit card payment|card repayment|cc payment|amex payment|"
                           "american express|barclaycard|capital one|payment thank you|"
                           "autopay|~credit card",
    "Savings & Investments": "~savings|~save|investment|~invest|vanguard|fidelity|schwab|"
                             "etoro|trading 212|robinhood|easy equities|easyequities|satrix|"
                             "~isa|pension|retirement annuity|allan gray|coronation|nutmeg|"
                             "moneybox|~stash|acorns|round-up|roundup",
}


_POSSESSIVE = re.compile(r"(?<=[a-z])(?:['\u2019]s(?![\w'&+])| s(?= |$))|(?<=[a-z])['\u2019](?=[a-z])")


def fold_possessive(text: str) -> str:
    """``mcdonald's``, ``mcdonald s`` (a bank that dropped the apostrophe) and ``mcdonalds``
    all become ``mcdonalds``; other apostrophes inside words go too (``o'reilly``)."""
    return _POSSESSIVE.sub(lambda m: "s" if m.group(0).endswith("s") else "", text)


@lru_cache(maxsize=1)
def _lexicon() -> tuple[re.Pattern[str], dict[str, tuple[str, float]]]:
    table: dict[str, tuple[str, float]] = {}
    tiers = {"~": 0.5, "!": 1.5}
    for leaf, spec in KEYWORDS.items():
        for raw in spec.split("|"):
            tier = tiers.get(raw[:1], 1.0)
            kw = raw.lstrip("~!").strip().lower()
            for form in {kw, fold_possessive(kw)}:
                if form and (form not in table or table[form][1] < tier):
                    table[form] = (leaf, tier)
    alternatives = sorted(table, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w&+@])(?:" + "|".join(re.escape(k) for k in alternatives) + r")(?![\w&+])")
    return pattern, table


def lexicon_match(normalized: str) -> tuple[str, str, float] | None:
    """``(keyword, leaf, strength)`` of the best keyword in a normalized description, or None.

    Decisive keywords beat strong (brand) ones, which beat weak (generic) ones; among equals
    the longest keyword wins, then the first. ``strength`` is 1.5 / 1.0 / 0.5 by tier.
    The text is matched as it is and with possessives folded (:func:`fold_possessive`).
    """
    pattern, table = _lexicon()
    best: tuple[str, str, float] | None = None
    folded = fold_possessive(normalized)
    matches = [*pattern.finditer(normalized), *(pattern.finditer(folded) if folded != normalized
                                                 else ())]
    for m in matches:
        kw = m.group(0)
        leaf, strength = table[kw]
        if best is None or (strength, len(kw)) > (best[2], len(best[0])):
            best = (kw, leaf, strength)
    return best


def category_text(name: str) -> str:
    """The text embedded for a category: its description for default leaves, else its name."""
    desc = DESCRIPTIONS.get(name)
    return f"{name}: {desc}" if desc else name


SHARED_SMOOTHING = 0.2
"""Weight of a uniform guess mixed into a shared merchant's leaf shares (other users' majority
is evidence, not certainty)."""


@dataclass(frozen=True)
class SharedTable:
    """The shared prior as arrays: ``leaf[pos[key]]`` is P(default leaf | merchant key)."""

    keys: list[str]
    pos: dict[str, int]
    leaf: np.ndarray  # (merchants, len(DEFAULT_CATEGORIES)), rows sum to 1
    share: np.ndarray  # (merchants, leaves) the raw shares, for explanations


def shared_table(shared_prior: Mapping[str, Mapping[str, float]] | None) -> SharedTable | None:
    """``{merchant key: {default leaf: share of users}}`` as a :class:`SharedTable` (smoothed
    towards uniform by :data:`SHARED_SMOOTHING`); names outside the default taxonomy and
    non-positive shares are ignored. ``None`` when nothing usable is left."""
    if not shared_prior:
        return None
    leaf_pos = {c: i for i, c in enumerate(DEFAULT_CATEGORIES)}
    keys: list[str] = []
    rows: list[np.ndarray] = []
    for key, shares in shared_prior.items():
        row = np.zeros(len(DEFAULT_CATEGORIES))
        for name, value in shares.items():
            if name in leaf_pos and float(value) > 0:
                row[leaf_pos[name]] += float(value)
        if str(key).strip() and row.sum() > 0:
            keys.append(str(key))
            rows.append(row / row.sum())
    if not keys:
        return None
    share = np.vstack(rows)
    leaf = (1.0 - SHARED_SMOOTHING) * share + SHARED_SMOOTHING / len(DEFAULT_CATEGORIES)
    return SharedTable(keys=keys, pos={k: i for i, k in enumerate(keys)}, leaf=leaf, share=share)
