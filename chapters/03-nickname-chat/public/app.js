// Chapter 3: the browser's side of the nickname chat.
const messageList = document.querySelector("ul");
const nickForm = document.querySelector("#nick");
const messageForm = document.querySelector("#message");
const status = document.querySelector("#status");

const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new WebSocket(`${scheme}://${location.host}`);

// Every message is JSON text with a type, so the server knows what it is for.
function makeMessage(type, payload) {
  // Step 2: return the JSON text of an object with the fields `type` and `payload`.
  return JSON.stringify({ type, payload });
  // (end of step 2)
}

socket.addEventListener("open", () => {
  status.textContent = "Connected to Server ✅";
});

socket.addEventListener("message", (message) => {
  const li = document.createElement("li");
  li.textContent = message.data; // never innerHTML: a message is text, not markup
  // The server starts its error lines with a sign no nickname may contain.
  if (message.data.startsWith("⚠️")) li.className = "error";
  messageList.append(li);
});

socket.addEventListener("close", () => {
  status.textContent = "Disconnected from Server ❌";
});

messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = messageForm.querySelector("input");
  socket.send(makeMessage("new_message", input.value));
  input.value = "";
});

nickForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = nickForm.querySelector("input");
  socket.send(makeMessage("nickname", input.value));
});
