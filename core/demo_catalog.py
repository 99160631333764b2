"""Merchant, employer and bank catalogues for the synthetic demo households.

Pure data used by :mod:`core.demo_data`. Each spending kind lists candidate merchants as
``(clean merchant name, statement text template)``; templates may contain ``{n}`` (a store
number), ``{city}`` and ``{ref}`` (a random reference), which give statement lines the noise
real exports have. Amount profiles are ``(median EUR, lognormal sigma)``.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

CHECKING, SAVINGS, CREDIT = "Current Account", "Savings Account", "Credit Card"

CITIES = ["LONDON", "DUBLIN", "AMSTERDAM", "BERLIN", "PARIS", "MADRID", "LYON", "MUNICH",
          "ROTTERDAM", "CORK", "UTRECHT", "HAMBURG"]
HOLIDAY_CITIES = ["BARCELONA", "LISBON", "ROMA", "NICE", "ATHINA", "SPLIT", "PALMA"]
BANKS = ["Northbank", "Eurobank Direct", "Harbour Savings", "CityCard Bank", "Atlas Bank"]
EMPLOYERS = ["ACME LTD", "GLOBEX GMBH", "INITECH BV", "UMBRELLA SERVICES", "HOOLI EUROPE",
             "VANDELAY IMPORTS", "WAYNE ENTERPRISES", "SOYLENT FOODS", "TYRELL CORP SA",
             "MASSIVE DYNAMIC"]
LANDLORDS = ["J SMITH PROPERTY", "CITY LETTINGS LTD", "HOMESTEAD RENTALS", "M OKAFOR",
             "PARKVIEW ESTATES"]

# kind -> (category, [(merchant, statement template), ...])
SPEND_POOLS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "grocery": ("Groceries", [
        ("Tesco", "TESCO STORES {n} {city}"), ("Lidl", "LIDL {n} {city}"),
        ("Aldi", "ALDI SUED {n}"), ("Carrefour", "CARREFOUR MARKET {city}"),
        ("Albert Heijn", "AH {n} {city}"), ("Sainsbury's", "SAINSBURYS S/MKTS {city}"),
        ("Rewe", "REWE MARKT GMBH {city}")]),
    "coffee": ("Coffee & Snacks", [
        ("Starbucks", "STARBUCKS {n}"), ("Costa Coffee", "COSTA COFFEE {n} {city}"),
        ("Pret A Manger", "PRET A MANGER {city}"), ("Caffe Nero", "CAFFE NERO {n}"),
        ("Greggs", "GREGGS PLC {n}")]),
    "restaurant": ("Restaurants", [
        ("Pizza Express", "PIZZA EXPRESS {n} {city}"), ("Wagamama", "WAGAMAMA {city}"),
        ("Nando's", "NANDOS {city} {n}"), ("Vapiano", "VAPIANO {city}"),
        ("Le Petit Bistro", "SQ *LE PETIT BISTRO"), ("Sushi Sun", "SUMUP *SUSHI SUN")]),
    "takeaway": ("Takeaway & Delivery", [
        ("Deliveroo", "DELIVEROO.COM*{ref}"), ("Uber Eats", "UBER *EATS HELP.UBER.COM"),
        ("Just Eat", "JUST EAT {ref}")]),
    "fuel": ("Fuel", [
        ("Shell", "SHELL {city} {n}"), ("BP", "BP {city} SERVICE STN"), ("Esso", "ESSO {city}"),
        ("TotalEnergies", "TOTALENERGIES {n}")]),
    "transport": ("Public Transport", [
        ("Metro", "METRO TICKETS {city}"), ("National Rail", "RAIL TICKET ONLINE {ref}")]),
    "taxi": ("Taxi & Rideshare", [("Uber", "UBER *TRIP {ref}"), ("Bolt", "BOLT.EU/O/{ref}")]),
    "parking": ("Parking & Tolls", [("EasyPark", "EASYPARK {ref}"), ("Q-Park", "Q-PARK {city}")]),
    "clothing": ("Clothing", [("H&M", "H&M {n} {city}"), ("Zara", "ZARA {city}"),
                              ("Uniqlo", "UNIQLO {city}"), ("Primark", "PRIMARK {n}")]),
    "online": ("Online Shopping", [("Amazon", "AMZN MKTP EU*{ref}"), ("Zalando", "ZALANDO SE"),
                                   ("eBay", "PAYPAL *EBAY {ref}")]),
    "household": ("Household", [("IKEA", "IKEA {city}"), ("B&Q", "B&Q {n}"),
                                ("Action", "ACTION {n} {city}")]),
    "electronics": ("Electronics", [("MediaMarkt", "MEDIAMARKT {city}"),
                                    ("Currys", "CURRYS {n}")]),
    "pharmacy": ("Pharmacy", [("Boots", "BOOTS {n} {city}"), ("DM", "DM DROGERIE {n}")]),
    "doctor": ("Doctor & Dentist", [("Smile Dental", "SMILE DENTAL CLINIC"),
                                    ("City Medical", "CITY MEDICAL PRACTICE")]),
    "events": ("Events & Culture", [("Ticketmaster", "TICKETMASTER {ref}"),
                                    ("Cineworld", "CINEWORLD {city}")]),
    "hobbies": ("Hobbies", [("Hobbycraft", "HOBBYCRAFT {n}"), ("Decathlon", "DECATHLON {city}")]),
    "games": ("Games", [("Steam", "STEAMGAMES.COM {ref}"),
                        ("PlayStation", "PLAYSTATIONNETWORK")]),
    "books": ("Books & Courses", [("Waterstones", "WATERSTONES {n}"),
                                  ("Udemy", "UDEMY ONLINE COURSES")]),
    "hair": ("Hair & Beauty", [("Hair Studio", "SUMUP *HAIR STUDIO {city}"),
                               ("Barber Shop", "SQ *THE BARBER SHOP")]),
    "pets": ("Pets", [("Pets at Home", "PETS AT HOME {n}"), ("Zooplus", "ZOOPLUS AG {ref}")]),
    "gifts": ("Gifts", [("Etsy", "ETSY.COM*{ref}"), ("John Lewis", "JOHN LEWIS {n}"),
                        ("Interflora", "INTERFLORA {ref}")]),
    "charity": ("Charity", [("Red Cross", "DD RED CROSS"), ("Oxfam", "DD OXFAM")]),
    "flights": ("Flights", [("Ryanair", "RYANAIR {ref}"), ("easyJet", "EASYJET {ref}"),
                            ("KLM", "KLM {ref}")]),
    "hotel": ("Accommodation", [("Booking.com", "BOOKING.COM HOTEL {ref}"),
                                ("Airbnb", "AIRBNB * {ref}")]),
    "activities": ("Holiday Activities", [("GetYourGuide", "GETYOURGUIDE {ref}"),
                                          ("Local Tours", "SUMUP *TOURS {holiday}")]),
}

# kind -> (median EUR, sigma, purchases per week, share paid by credit card)
SPEND_PROFILES: dict[str, tuple[float, float, float, float]] = {
    "grocery": (46.0, 0.55, 2.3, 0.15), "coffee": (4.2, 0.3, 3.2, 0.05),
    "restaurant": (42.0, 0.45, 0.8, 0.5), "takeaway": (27.0, 0.3, 0.6, 0.3),
    "fuel": (58.0, 0.25, 0.7, 0.4), "transport": (6.5, 0.6, 1.6, 0.0),
    "taxi": (17.0, 0.5, 0.25, 0.3), "parking": (5.5, 0.6, 0.4, 0.2),
    "clothing": (55.0, 0.6, 0.35, 0.6), "online": (32.0, 0.8, 0.6, 0.8),
    "household": (38.0, 0.7, 0.3, 0.4), "electronics": (120.0, 0.7, 0.04, 0.9),
    "pharmacy": (14.0, 0.5, 0.3, 0.1), "doctor": (75.0, 0.4, 0.05, 0.3),
    "events": (48.0, 0.5, 0.15, 0.7), "hobbies": (35.0, 0.6, 0.15, 0.5),
    "games": (20.0, 0.6, 0.1, 0.8), "books": (18.0, 0.5, 0.1, 0.5),
    "hair": (32.0, 0.3, 0.25, 0.0), "pets": (28.0, 0.5, 0.3, 0.3),
    "gifts": (40.0, 0.6, 0.08, 0.6),
}

# Recurring bills: (merchant, statement text, category, monthly EUR, day of month)
PHONE = [("Vodafone", "DD VODAFONE LTD {ref}", 24.0), ("Orange", "DD ORANGE MOBILE", 19.99),
         ("Three", "DD THREE MOBILE {ref}", 15.0)]
INTERNET = [("Virgin Media", "DD VIRGIN MEDIA PYMTS", 45.0), ("BT", "DD BT GROUP PLC", 39.99)]
ENERGY = [("British Gas", "DD BRITISH GAS {ref}", 95.0), ("Octopus Energy", "DD OCTOPUS ENERGY",
                                                          85.0), ("EDF", "DD EDF ENERGY", 90.0)]
WATER = [("Thames Water", "DD THAMES WATER UTIL", 110.0), ("City Water", "DD CITY WATER CO",
                                                           95.0)]
GYMS = [("PureGym", "DD PUREGYM LTD", 29.99), ("Fitness First", "DD FITNESS FIRST", 39.90),
        ("Basic-Fit", "DD BASIC-FIT {ref}", 24.99)]
CLOUD = [("Google One", "GOOGLE *GOOGLE ONE", 1.99), ("iCloud", "APPLE.COM/BILL", 2.99),
         ("Dropbox", "DROPBOX*{ref}", 11.99)]
INSURERS = [("Aviva", "DD AVIVA HOME INSURANCE"), ("Allianz", "DD ALLIANZ HAUSRAT"),
            ("AXA", "DD AXA INSURANCE {ref}")]
NURSERIES = [("Little Stars Nursery", "DD LITTLE STARS NURSERY"),
             ("Sunshine Kids", "SO SUNSHINE KIDS CARE")]
KIDS_CLUBS = [("Swim School", "DD CITY SWIM SCHOOL"), ("Junior Football", "SO JUNIOR FC")]
HOLIDAY_PLACES = [("Taverna Mar", "SUMUP *TAVERNA MAR {holiday}", "Restaurants"),
                  ("Trattoria Sole", "TRATTORIA SOLE {holiday}", "Restaurants"),
                  ("Beach Bar", "SQ *BEACH BAR {holiday}", "Restaurants"),
                  ("City Taxi", "TAXI {holiday} {ref}", "Taxi & Rideshare")]
# Ground-truth anomalies: never-seen merchants for the large purchase and the burst.
LARGE_NEW = [("Luxwatch Boutique", "LUXWATCH BOUTIQUE {city}", "Clothing"),
             ("ProSound Audio", "PROSOUND AUDIO GMBH {ref}", "Electronics"),
             ("Grand Casino", "GRAND CASINO {city}", "Events & Culture")]
BURST_NEW = [("GamesHub", "PAYPAL *GAMESHUB {ref}", "Games"),
             ("QuickTopUp", "QUICKTOPUP*{ref}", "Online Shopping")]
