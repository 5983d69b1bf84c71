// Chapter 4: the browser's side. `io()` connects to the server that served this page.
const socket = io();
// A server that stops says goodbye ("io server disconnect"), and then the client waits to
// be told to connect again: tell it at once, and it retries until the server is back.
socket.on("disconnect", (reason) => reason === "io server disconnect" && socket.connect());

const welcome = document.getElementById("welcome");
const form = welcome.querySelector("form");
const room = document.getElementById("room");
const error = document.getElementById("error");

// The server runs this function, in this browser, when it has put us in the room.
function showRoom(roomName) {
  welcome.hidden = true;
  room.hidden = false;
  room.querySelector("h3").textContent = `Room ${roomName}`;
  error.hidden = true;
}

function handleRoomSubmit(event) {
  event.preventDefault();
  const input = form.querySelector("input");
  // Step 2: emit `enter_room` with { payload } and `showRoom` as the callback.
  // Any event name, an object as argument, and a function last: the callback.
  socket.emit("enter_room", { payload: input.value }, showRoom);
  // (end of step 2)
  input.value = "";
}

form.addEventListener("submit", handleRoomSubmit);

// Bad input comes back as an `error` event, to this browser only.
socket.on("error", (message) => {
  error.textContent = message;
  error.hidden = false;
});
