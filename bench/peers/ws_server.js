'use strict';
/**
 * Peer server for the omnisock benchmarks, built on Node `ws`.
 *
 * Usage: node ws_server.js PORT
 *
 * Serves on 127.0.0.1:PORT:
 *   /echo        every message is sent back to its sender (text stays text, binary stays binary)
 *   /ws/camera   every message is sent to every other connection on that path
 *
 * One WebSocketServer; connections are routed by `req.url`, and fan-out follows the
 * ws README's "broadcast to all connected clients except itself" example.
 */
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2]);
const camera = new Set();
const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 16 * 1024 * 1024 });

wss.on('connection', (ws, req) => {
  ws.on('error', () => {});
  if (req.url === '/echo') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  } else if (req.url === '/ws/camera') {
    camera.add(ws);
    ws.on('close', () => camera.delete(ws));
    ws.on('message', (data, isBinary) => {
      for (const peer of camera) {
        if (peer !== ws && peer.readyState === WebSocket.OPEN) {
          peer.send(data, { binary: isBinary });
        }
      }
    });
  } else {
    ws.close(1008, 'unknown path');
  }
});

wss.on('listening', () => console.log(`listening on 127.0.0.1:${port}`));
