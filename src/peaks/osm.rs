//! OpenStreetMap summits (placeholder).
