#!/usr/bin/env python
import asyncio
import omnisock as websockets
async def hello(websocket, path):
    # le serveur est en attente du message d'un client qui se connecte
    message_recu_du_client = await websocket.recv()
    print(message_recu_du_client)
    # le serveur envoie un message au lient qui s'est connecté
    message_pour_le_client = "Message bien reçu"
    await websocket.send(message_pour_le_client)
    print(message_pour_le_client)
start_server = websockets.serve(hello, 'localhost', 8765)
loop = asyncio.get_event_loop()
loop.run_until_complete(start_server)
loop.run_forever()
