"""tracklog: track and log sales mail from Outlook into a small self-hosted CRM."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from tracklog.config import Config, load_or_create_secret_key, sqlite_url_in
from tracklog.inputs import init_inputs
from tracklog.routing import QuickStartRule

__version__ = "0.1.0"


def create_app(config: Config | None = None, overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the tracklog application from the environment (or a given Config)."""
    config = config or Config()
    app = Flask(__name__, instance_path=config.INSTANCE_PATH)
    app.url_rule_class = QuickStartRule
    app.config.update(config.as_flask_config())
    app.config.update(overrides or {})
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"] or sqlite_url_in(
        app.instance_path
    )
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or load_or_create_secret_key(
        app.instance_path
    )
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    init_inputs(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    """Bind the extensions created in extensions.py."""
    from tracklog.extensions import babel, csrf, db, login_manager, sock
    from tracklog.i18n import select_locale, select_timezone

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["get_locale"] = get_locale
    login_manager.init_app(app)
    sock.init_app(app)
    login_manager.login_view = "auth.sign_in"


def _register_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    import tracklog.audit.api  # noqa: F401 - adds the audit log to `api`
    import tracklog.auth.api  # noqa: F401 - adds /me to `api`
    import tracklog.crm.api  # noqa: F401 - adds timelines, pins, associations, tasks to `api`
    import tracklog.crm.thread_api  # noqa: F401 - adds note threads, product lines, quotes to `api`
    import tracklog.mailbox.api  # noqa: F401 - adds the connected mailbox to `api`
    import tracklog.mailbox.graph_api  # noqa: F401 - adds connecting Microsoft 365 and replies
    import tracklog.mailbox.graph_pages  # noqa: F401 - adds the Microsoft 365 sign-in and replies
    import tracklog.mailbox.pages  # noqa: F401 - adds /settings/mailbox to `settings_pages`
    import tracklog.maillog.api  # noqa: F401 - adds the logging operations to `api`
    import tracklog.mailtemplates.api  # noqa: F401 - adds the template library to `api`
    import tracklog.notify.api  # noqa: F401 - adds the notification operations to `api`
    import tracklog.partners.api  # noqa: F401 - adds partnerships and shared deals to `api`
    import tracklog.privacy.api  # noqa: F401 - adds contact export and erasure to `api`
    import tracklog.settings.api  # noqa: F401 - adds account settings and never-log lists to `api`
    import tracklog.tracking.api  # noqa: F401 - adds the tracking operations to `api`
    import tracklog.webhooks.api  # noqa: F401 - adds the webhook operations to `api`
    import tracklog.webhooks.pages  # noqa: F401 - adds /settings/webhooks to `settings_pages`
    from tracklog.api import api
    from tracklog.api.docs import docs
    from tracklog.api.errors import register_error_handlers
    from tracklog.auth.user_pages import user_pages
    from tracklog.auth.views import auth
    from tracklog.crm.activity_forms import activity_forms
    from tracklog.crm.board import pipelines
    from tracklog.crm.deal_mail_pages import deal_mail_pages
    from tracklog.crm.pages import record_pages
    from tracklog.crm.tasks import tasks
    from tracklog.crm.thread_pages import thread_pages
    from tracklog.health import health
    from tracklog.mailbox.graph_notifications import graph_notifications
    from tracklog.maillog.pages import maillog
    from tracklog.mailtemplates.pages import template_pages
    from tracklog.notify.api import bell
    from tracklog.notify.bus import init_bus
    from tracklog.notify.ws import init_hub, realtime
    from tracklog.partners.pages import partner_pages
    from tracklog.partners.sync import init_partner_sync
    from tracklog.privacy.pages import opt_out_pages
    from tracklog.settings.pages import settings_pages
    from tracklog.tracking.hits import init_hit_recording
    from tracklog.tracking.insightspage import insights_page
    from tracklog.tracking.pages import messages
    from tracklog.tracking.views import tracking
    from tracklog.web.addin_files import addin_files
    from tracklog.web.formatting import formatting
    from tracklog.web.headers import init_security_headers
    from tracklog.web.search import search_pages
    from tracklog.web.theme import theme
    from tracklog.web.views import web

    init_bus(app)
    init_hub(app)
    init_hit_recording(app)
    init_partner_sync()
    app.register_blueprint(health)
    app.register_blueprint(auth)
    app.register_blueprint(user_pages)
    app.register_blueprint(api)
    app.register_blueprint(docs)
    app.register_blueprint(web)
    app.register_blueprint(formatting)
    app.register_blueprint(theme)
    app.register_blueprint(search_pages)
    app.register_blueprint(tracking)
    app.register_blueprint(graph_notifications)
    app.register_blueprint(messages)
    app.register_blueprint(insights_page)
    app.register_blueprint(maillog)
    app.register_blueprint(realtime)
    app.register_blueprint(bell)
    app.register_blueprint(addin_files)
    app.register_blueprint(pipelines)
    app.register_blueprint(tasks)
    app.register_blueprint(record_pages)
    app.register_blueprint(activity_forms)
    app.register_blueprint(deal_mail_pages)
    app.register_blueprint(thread_pages)
    app.register_blueprint(settings_pages)
    app.register_blueprint(template_pages)
    app.register_blueprint(opt_out_pages)
    app.register_blueprint(partner_pages)
    register_error_handlers(app)
    init_security_headers(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys (ON DELETE rules) and let readers run beside a writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
