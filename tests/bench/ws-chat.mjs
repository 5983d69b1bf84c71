// The benchmark's baseline for chapter 3, on the course's own stack: Node.js and the
// `ws` package, one HTTP server and port for the page and the WebSocket. It behaves
// like chapter 3 (JSON {type, payload}; new_message goes to every socket, sender
// included; nickname sets the sender's name), and like the course's code otherwise.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const server = createServer((request, response) => response.end("ws baseline\n"));
const wss = new WebSocketServer({ server });

wss.on("connection", (socket) => {
  socket.nickname = "Anon";
  socket.on("message", (data) => {
    let message;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return socket.send("error: not JSON");
    }
    if (message.type === "new_message") {
      const line = `${socket.nickname}: ${message.payload}`;
      for (const peer of wss.clients) peer.send(line);
    } else if (message.type === "nickname") {
      socket.nickname = String(message.payload);
    }
  });
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`Listening on http://localhost:${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
