"""Thin Streamlit pages: layout and widgets that call ``core`` services (no SQL, no ML)."""
