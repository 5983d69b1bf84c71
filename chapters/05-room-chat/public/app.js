// Chapter 5: the browser's side of the room chat.
const socket = io();
// A server that stops says goodbye ("io server disconnect"), and then the client waits to
// be told to connect again: tell it at once, and it retries until the server is back.
socket.on("disconnect", (reason) => reason === "io server disconnect" && socket.connect());

const welcome = document.getElementById("welcome");
const roomForm = welcome.querySelector("form");
const nameForm = document.getElementById("name");
const room = document.getElementById("room");
const messageForm = document.getElementById("msg");
const error = document.getElementById("error");

let roomName;

function addMessage(text) {
  const li = document.createElement("li");
  li.textContent = text; // text, never HTML
  room.querySelector("ul").append(li);
}

// Called by the server (the callback of enter_room) once we are in the room.
function showRoom(name) {
  roomName = name;
  welcome.hidden = true;
  room.hidden = false;
  error.hidden = true;
  room.querySelector("h3").textContent = `Room ${roomName}`;
}

roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = roomForm.querySelector("input");
  socket.emit("enter_room", input.value, showRoom);
  input.value = "";
});

nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = nameForm.querySelector("input");
  socket.emit("nickname", input.value, (saved) => {
    document.getElementById("nickname").textContent = `You are ${saved}.`;
  });
  input.value = "";
});

messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = messageForm.querySelector("input");
  const value = input.value;
  // Step 4: emit `new_message` with the text, the room, and a callback that shows "You: text".
  // The others get "nickname: text" from the server; we show our own copy once the
  // server confirms it passed the message on.
  socket.emit("new_message", value, roomName, () => addMessage(`You: ${value}`));
  // (end of step 4)
  input.value = "";
});

socket.on("welcome", (user) => addMessage(`${user} arrived!`));
socket.on("bye", (user) => addMessage(`${user} left.`));
socket.on("new_message", addMessage);

socket.on("error", (message) => {
  error.textContent = message;
  error.hidden = false;
});
