// Chapter 2: the browser's side of the echo.
const messageList = document.querySelector("ul");
const messageForm = document.querySelector("#message");
const status = document.querySelector("#status");

// Same host and port as the page: the server tells the two apart by the upgrade request.
function connect() {
  // Step 3: open a WebSocket to the page's own host and port (`wss:` on an https page).
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return new WebSocket(`${scheme}://${location.host}`);
  // (end of step 3)
}
const socket = connect();

socket.addEventListener("open", () => {
  status.textContent = "Connected to Server ✅";
});

// Everything the server sends arrives here, whenever the server decides to send it.
socket.addEventListener("message", (message) => {
  const li = document.createElement("li");
  li.textContent = message.data; // textContent: the text is shown, never run as HTML
  messageList.append(li);
});

socket.addEventListener("close", () => {
  status.textContent = "Disconnected from Server ❌";
});

messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = messageForm.querySelector("input");
  socket.send(input.value);
  input.value = "";
});
