"""The lake: configuration, storage (local folder or S3), DuckDB connections and layout."""
