// graph: filled in by its feature.
