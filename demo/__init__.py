"""Demo data: a seeded simulation of the share-house PMS and its daily mysqldumps.

``lakehouse demo-data`` (:mod:`demo.cli`) writes the dumps; :mod:`demo.generate` is the Python
API (dumps, lake partitions straight from the simulation, the expected rows of any day).
"""
