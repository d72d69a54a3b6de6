"""gunicorn settings read from the working directory (`gunicorn "helpcenter:create_app()"`).

gunicorn's default forwarded_allow_ips ("127.0.0.1,::1") trusts X-Forwarded-Proto and friends
from any process on the machine and sets the request's scheme from it. The app decides that
itself: werkzeug's ProxyFix trusts exactly HELPCENTER_TRUSTED_PROXY_COUNT hops (SECURITY.md
T22), so gunicorn trusts nobody.
"""
forwarded_allow_ips = ""
