"""The web app as NiceGUI's user simulation runs it: pages registered, no server, no worker."""

from nicegui import ui

from viralclipper.models import upgrade_database
from viralclipper.ui.app import setup

upgrade_database()
setup()
ui.run(storage_secret="test secret", title="Viral Clipper", reload=False, show=False)
