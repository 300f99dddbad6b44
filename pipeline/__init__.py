"""The job layer: every job in one warehouse session, and the `lakehouse` commands on top.

* ``session`` -- lock -> fetch the persisted warehouse -> work -> persist on success -> release;
* ``lock``, ``persist`` -- the warehouse lock and the persisted versions + pointer;
* ``jobs``, ``daily`` -- the jobs the commands run (ingest, models, publish, sqlmesh, daily);
* ``preflight`` -- do S3 and MySQL answer, before anything changes;
* ``models/`` -- the SQLMesh glue (the pure planning decision, the child process);
* ``sqlmesh_env`` -- the project and the configuration SQLMesh processes get;
* ``demo``, ``devservices`` -- the local demo and the local stand-ins for S3 and Aurora;
* ``cli/`` -- the command layer; nothing in this package outside it imports it.
"""
