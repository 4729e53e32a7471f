"""The seed's consumer: subscribers join one group; a message from the publisher is sent to the
group with channel_layer.group_send and forwarded by every member."""
from channels.generic.websocket import AsyncWebsocketConsumer

GROUP = "Camera_group"


class CameraConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def camera_message(self, event):
        await self.send(bytes_data=event["data"])


class PublisherConsumer(AsyncWebsocketConsumer):
    """Not a group member (like omnisock's relay, the sender gets nothing back)."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(GROUP, {"type": "camera.message", "data": bytes_data or text_data.encode()})
