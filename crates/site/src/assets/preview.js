// preview: filled in by its feature.
