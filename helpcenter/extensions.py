"""Flask extensions, created once and bound in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Storage comes from app.config["RATELIMIT_STORAGE_URI"] (memory:// by default, redis://... to share
# counters across workers and machines); the limits are applied in helpcenter/security.py.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
