//! Open-item and customer extracts (CSV/Parquet) read with polars.
