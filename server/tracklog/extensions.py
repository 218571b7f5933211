"""Flask extensions, created unbound here and bound to the app in the factory."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from tracklog.models.base import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
sock = Sock()
