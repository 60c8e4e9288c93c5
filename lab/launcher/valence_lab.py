"""Serves Valence's JupyterLab build (lab/dist) on Debian's jupyter_server 1.23 and jupyterlab_server 2.16.

JupyterLab 4's front end expects a few things these Debian releases lack; this launcher mends them:
a stub /api/me and /api/events/subscribe, plugins that need a newer server disabled in the page
config, and a fresh copy of the page config for every request (jupyterlab_server 2.16 otherwise keeps
a `notFoundUrl` in the shared one after one unknown URL, and every later page shows "not found").

Usage: /usr/bin/python3 lab/launcher/valence_lab.py --port=P --ServerApp.token=T --ServerApp.root_dir=D
       [--ValenceLab.extra_labextensions_path=DIR] ...  (lab/scripts/serve.mjs builds this command)
"""

import copy
import json
import os
import sys

from jupyter_core.paths import jupyter_config_dir, jupyter_data_dir
from jupyter_server import version_info as server_version_info
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.zmqhandlers import WebSocketMixin
from jupyterlab_server import LabServerApp
from tornado import web
from tornado.websocket import WebSocketHandler
from traitlets import Bool, default

LAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = os.path.join(LAB, "dist")

# Plugins that call REST endpoints this server does not have (language servers, announcements, the
# PyPI extension manager), or need what the kernels here do not support (the debugger).
DISABLED_PLUGINS = [
    "@jupyterlab/lsp-extension",
    "@jupyterlab/notebook-extension:language-server",
    "@jupyterlab/fileeditor-extension:language-server",
    "@jupyterlab/apputils-extension:announcements",
    "@jupyterlab/extensionmanager-extension",
    # Neither Valence's kernel nor tslab implements the debug protocol; with the debugger on, every
    # execution ends in an unhandled "No active debugger session" page error.
    "@jupyterlab/debugger-extension",
]


def _lab_version():
    with open(os.path.join(LAB, "package.json"), encoding="utf-8") as file:
        return json.load(file)["jupyterlab"]["version"]


class MeHandler(APIHandler):
    """GET /api/me (jupyter_server 2's identity API): one local user with no special permissions."""

    @web.authenticated
    def get(self):
        # With token authentication, jupyter_server 1.23's user is an anonymous random id.
        user = self.current_user
        identity = {
            "username": user if isinstance(user, str) and user else "anonymous",
            "name": "Anonymous",
            "display_name": "Anonymous",
            "initials": "A",
            "avatar_url": None,
            "color": None,
        }
        self.finish(json.dumps({"identity": identity, "permissions": {}}))


class EventsStubHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """The /api/events/subscribe websocket of jupyter_server 2: accepted, and never sends an event."""

    async def get(self, *args, **kwargs):
        if self.current_user is None:
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)

    def on_message(self, message):
        pass


class ValenceLab(LabServerApp):
    """JupyterLab from lab/dist, prebuilt extensions from the labextensions path."""

    name = "lab"
    app_name = "JupyterLab"
    load_other_extensions = False

    expose_app_in_browser = Bool(
        False, config=True, help="Set window.jupyterapp (for tests and debugging)."
    )

    @default("app_version")
    def _default_app_version(self):
        return _lab_version()

    @default("static_dir")
    def _default_static_dir(self):
        return os.path.join(DIST, "static")

    @default("templates_dir")
    def _default_templates_dir(self):
        return os.path.join(DIST, "static")

    @default("schemas_dir")
    def _default_schemas_dir(self):
        return os.path.join(DIST, "schemas")

    @default("themes_dir")
    def _default_themes_dir(self):
        return os.path.join(DIST, "themes")

    @default("app_settings_dir")
    def _default_app_settings_dir(self):
        return os.path.join(DIST, "settings")

    @default("user_settings_dir")
    def _default_user_settings_dir(self):
        return os.path.join(jupyter_config_dir(), "lab", "user-settings")

    @default("workspaces_dir")
    def _default_workspaces_dir(self):
        return os.path.join(jupyter_config_dir(), "lab", "workspaces")

    @default("labextensions_path")
    def _default_labextensions_path(self):
        # Only the user's data dir (JUPYTER_DATA_DIR): system-wide folders may hold extensions built
        # for other JupyterLab versions.
        return [os.path.join(jupyter_data_dir(), "labextensions")]

    def initialize_settings(self):
        super().initialize_settings()
        if not os.path.exists(os.path.join(self.static_dir, "index.html")):
            sys.exit(f"no JupyterLab build in {self.static_dir}: run `node lab/scripts/build.mjs` first")
        serverapp = self.serverapp
        fixed = {
            "token": serverapp.token,
            "buildAvailable": False,
            "buildCheck": False,
            "devMode": False,
            "exposeAppInBrowser": self.expose_app_in_browser,
            "quitButton": serverapp.quit_button,
            "allow_hidden_files": getattr(serverapp.contents_manager, "allow_hidden", False),
            # The front end expects a JSON-encoded version tuple here.
            "notebookVersion": json.dumps(list(server_version_info)),
        }

        def page_config_hook(_handler, page_config):
            fresh = copy.deepcopy(page_config)
            fresh.update(fixed)
            disabled = list(fresh.get("disabledExtensions") or [])
            fresh["disabledExtensions"] = disabled + [p for p in DISABLED_PLUGINS if p not in disabled]
            return fresh

        self.settings["page_config_hook"] = page_config_hook

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.extend([(r"/api/me", MeHandler), (r"/api/events/subscribe", EventsStubHandler)])


def _jupyter_server_extension_points():
    # How jupyter_server finds the app when this file runs as __main__.
    return [{"module": __name__, "app": ValenceLab}]


main = ValenceLab.launch_instance

if __name__ == "__main__":
    main()
