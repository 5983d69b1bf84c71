// Chapter 10: the live server view of this server (as in chapter 6). It connects to its
// own namespace, /admin, and the server sends it the whole picture after every change.
const socket = io("/admin");

const status = document.getElementById("status");
const tbody = document.querySelector("#rooms tbody");

socket.on("connect", () => (status.textContent = "Live ✅"));
socket.on("disconnect", () => (status.textContent = "Disconnected ❌"));

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
