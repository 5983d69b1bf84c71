// Chapter 6: the live server view. It connects to its own namespace, /admin, and the
// server sends it the whole picture after every change.
// On a server reachable from other machines, the view needs the token that the server
// printed at start-up, which comes in this page's address (`/admin?token=...`).
const token = new URLSearchParams(location.search).get("token");
const socket = io("/admin", { auth: { token } });

const status = document.getElementById("status");
const tbody = document.querySelector("#rooms tbody");

socket.on("connect", () => (status.textContent = "Live ✅"));
socket.on("disconnect", () => (status.textContent = "Disconnected ❌"));
// Refused: the server says why (the token is missing or wrong), and sends no view.
socket.on("connect_error", (error) => (status.textContent = `Not connected: ${error.message}`));
// A server that stops says goodbye ("io server disconnect"): connect again once it is back.
socket.on("disconnect", (reason) => reason === "io server disconnect" && socket.connect());

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

socket.on("server_view", ({ connected, rooms, lobby }) => {
  document.getElementById("connected").textContent = connected;
  document.getElementById("open").textContent = rooms.length;
  tbody.replaceChildren();
  for (const { name, members } of rooms) {
    const tr = document.createElement("tr");
    tr.dataset.room = name;
    tr.append(cell(name), cell(members.length), cell(members.join(", ")));
    tbody.append(tr);
  }
  document.getElementById("lobby").textContent = lobby.length ? lobby.join(", ") : "nobody";
});
