// The reader's theme, applied before the first paint: filled in by the theme feature.
