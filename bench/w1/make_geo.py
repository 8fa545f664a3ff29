#!/usr/bin/env python3
"""Writes geo.json, the reference tables every W1 peer reads (states, countries, calling codes).

Run once by hand when the tables change; geo.json is checked in. See SEMANTICS.md."""
import json, os

US = [("Alabama","AL"),("Alaska","AK"),("Arizona","AZ"),("Arkansas","AR"),("California","CA"),
("Colorado","CO"),("Connecticut","CT"),("Delaware","DE"),("Florida","FL"),("Georgia","GA"),
("Hawaii","HI"),("Idaho","ID"),("Illinois","IL"),("Indiana","IN"),("Iowa","IA"),("Kansas","KS"),
("Kentucky","KY"),("Louisiana","LA"),("Maine","ME"),("Maryland","MD"),("Massachusetts","MA"),
("Michigan","MI"),("Minnesota","MN"),("Mississippi","MS"),("Missouri","MO"),("Montana","MT"),
("Nebraska","NE"),("Nevada","NV"),("New Hampshire","NH"),("New Jersey","NJ"),("New Mexico","NM"),
("New York","NY"),("North Carolina","NC"),("North Dakota","ND"),("Ohio","OH"),("Oklahoma","OK"),
("Oregon","OR"),("Pennsylvania","PA"),("Rhode Island","RI"),("South Carolina","SC"),
("South Dakota","SD"),("Tennessee","TN"),("Texas","TX"),("Utah","UT"),("Vermont","VT"),
("Virginia","VA"),("Washington","WA"),("West Virginia","WV"),("Wisconsin","WI"),("Wyoming","WY"),
("District of Columbia","DC")]
CA = [("Alberta","AB"),("British Columbia","BC"),("Manitoba","MB"),("New Brunswick","NB"),
("Newfoundland and Labrador","NL"),("Nova Scotia","NS"),("Northwest Territories","NT"),
("Nunavut","NU"),("Ontario","ON"),("Prince Edward Island","PE"),("Quebec","QC"),
("Saskatchewan","SK"),("Yukon","YT")]
COUNTRIES = {
  "US": ["United States", "United States of America", "USA", "US", "U.S.", "U.S.A."],
  "CA": ["Canada", "CA"],
  "GB": ["United Kingdom", "UK", "Great Britain", "GB", "U.K."],
  "DE": ["Germany", "Deutschland", "DE"],
  "FR": ["France", "FR"],
  "JP": ["Japan", "JP"],
  "AU": ["Australia", "AU"],
  "NL": ["Netherlands", "The Netherlands", "Holland", "NL"],
}
CALLING = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "JP": "81", "AU": "61", "NL": "31"}

def main():
    states = {}
    for name, code in US + CA:
        states[name.lower()] = code
        states[code.lower()] = code
    countries = {}
    for code, aliases in COUNTRIES.items():
        for a in aliases:
            countries[a.lower()] = code
    out = {"states": states, "countries": countries, "calling_codes": CALLING,
           "nanp": ["US", "CA"]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "geo.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")

if __name__ == "__main__":
    main()
