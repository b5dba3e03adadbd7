// media: filled in by its feature.
