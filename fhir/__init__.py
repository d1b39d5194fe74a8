"""The read-only FHIR R4 facade under /fhir/ (docs/fhir.md).

This app and the fhir.resources distribution share the top-level name `fhir`: the app is found
first on sys.path, so its package path is extended to the installed `fhir` directories too, and
`fhir.resources.R4B` (the models every resource is validated by) imports from site-packages."""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
