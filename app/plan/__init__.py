"""The plan as data: tables, vocabularies, quantities, the registry of kinds, columns, filters.
May use: no other package."""
