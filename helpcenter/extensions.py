"""Flask extensions, created once and bound in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis://... to share across instances).
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
