import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_peer.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from .consumers import CameraConsumer, PublisherConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_app,
        "websocket": URLRouter(
            [
                re_path(r"^ws/camera$", CameraConsumer.as_asgi()),
                re_path(r"^ws/pub$", PublisherConsumer.as_asgi()),
            ]
        ),
    }
)
