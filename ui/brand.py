"""Hypersigil's icon (a sigil: a ring crossed by a bolt), as the SVG the browser shows in its tab."""

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="#1e293b"/>'
    '<circle cx="16" cy="16" r="9.5" fill="none" stroke="#a5b4fc" stroke-width="2.5"/>'
    '<path d="M18 5 11 17h5l-2 10 7-12h-5z" fill="#facc15"/>'
    '</svg>'
)
