"""One module per page; each has a `register()` that declares its routes with `@ui.page`."""
