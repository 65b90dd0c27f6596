"""Rendering: Folium maps and the pyvis network view, drawn from counts and frames computed
elsewhere."""
