// Chapter 6: the browser's side of the room chat, with open rooms and room sizes.
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

function showTitle(size) {
  room.querySelector("h3").textContent = `Room ${roomName} (${size})`;
}

// Called by the server (the callback of enter_room) with the room's size.
function showRoom(name, size) {
  roomName = name;
  welcome.hidden = true;
  room.hidden = false;
  error.hidden = true;
  showTitle(size);
}

function enterRoom(name) {
  socket.emit("enter_room", name, showRoom);
}

roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = roomForm.querySelector("input");
  enterRoom(input.value);
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
  socket.emit("new_message", value, roomName, () => addMessage(`You: ${value}`));
  input.value = "";
});

socket.on("welcome", (user, size) => {
  showTitle(size);
  addMessage(`${user} arrived!`);
});

socket.on("bye", (user, size) => {
  showTitle(size);
  addMessage(`${user} left.`);
});

socket.on("new_message", addMessage);

// The list of open rooms, sent on every change; click a room to enter it.
socket.on("room_change", (rooms) => {
  // Step 3: draw `rooms` as the list's items, each one entering its room when clicked.
  const list = welcome.querySelector("ul");
  list.replaceChildren();
  for (const name of rooms) {
    const li = document.createElement("li");
    li.textContent = name;
    li.addEventListener("click", () => enterRoom(name));
    list.append(li);
  }
  // (end of step 3)
});

socket.on("error", (message) => {
  error.textContent = message;
  error.hidden = false;
});
