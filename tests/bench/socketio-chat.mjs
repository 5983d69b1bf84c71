// The benchmark's baseline for chapter 6, on the course's own stack: Node.js and the
// `socket.io` package. Same events as chapter 6 (enter_room, new_message, nickname;
// welcome, bye and room_change), sent the way the course sends them: room_change to
// everyone on every join and disconnect.
import { createServer } from "node:http";
import { Server } from "socket.io";

const server = createServer((request, response) => response.end("socket.io baseline\n"));
const io = new Server(server);

// Rooms that are not a socket's own private room (Node keeps one per socket id).
function openRooms() {
  const { rooms, sids } = io.sockets.adapter;
  return [...rooms.keys()].filter((room) => !sids.has(room));
}

function roomSize(room) {
  return io.sockets.adapter.rooms.get(room)?.size ?? 0;
}

io.on("connection", (socket) => {
  socket.nickname = "Anon";
  socket.on("nickname", (name, done) => {
    socket.nickname = String(name);
    if (typeof done === "function") done(socket.nickname);
  });
  socket.on("enter_room", (room, done) => {
    socket.join(room);
    socket.to(room).emit("welcome", socket.nickname, roomSize(room));
    if (typeof done === "function") done(room, roomSize(room));
    io.sockets.emit("room_change", openRooms());
  });
  socket.on("new_message", (text, room, done) => {
    if (!socket.rooms.has(room)) return;
    socket.to(room).emit("new_message", `${socket.nickname}: ${text}`);
    if (typeof done === "function") done();
  });
  socket.on("disconnecting", () => {
    for (const room of socket.rooms) {
      if (room !== socket.id) socket.to(room).emit("bye", socket.nickname, roomSize(room) - 1);
    }
  });
  socket.on("disconnect", () => io.sockets.emit("room_change", openRooms()));
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`Listening on http://localhost:${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
