// Chapter 8: a video call between two browsers. The server only passes the notes they
// need to find each other (offer, answer, ICE candidates); the video goes directly.
const socket = io();
// A server that stops says goodbye ("io server disconnect"), and then the client waits to
// be told to connect again: tell it at once, and it retries until the server is back.
socket.on("disconnect", (reason) => reason === "io server disconnect" && socket.connect());

const welcome = document.getElementById("welcome");
const welcomeForm = welcome.querySelector("form");
const call = document.getElementById("call");
const status = document.getElementById("status");
const myFace = document.getElementById("myFace");
const peerFace = document.getElementById("peerFace");
const muteButton = document.getElementById("mute");
const cameraButton = document.getElementById("camera");
const camerasSelect = document.getElementById("cameras");
const problem = document.getElementById("problem");

// STUN and TURN servers come from the server's settings (none by default).
const iceServers = JSON.parse(call.dataset.iceServers);

let myStream;
let muted = false;
let cameraOff = false;
let roomName;
let myPeerConnection;
let pendingCandidates = []; // candidates that came before the description they belong to

function showProblem(text) {
  problem.textContent = text;
  problem.hidden = false;
}

function explain(error) {
  const reasons = {
    NotAllowedError: "You did not allow the camera and microphone. Allow them (the icon in the address bar) and reload.",
    NotFoundError: "No camera or microphone was found on this machine.",
    NotReadableError: "The camera or microphone is busy: another program or tab is using it.",
    OverconstrainedError: "That camera is no longer available.",
  };
  return reasons[error.name] ?? `The camera could not start: ${error.message}`;
}

// --- Camera and microphone (chapter 7) ---------------------------------------------

async function getCameras() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const cameras = devices.filter((device) => device.kind === "videoinput");
  const current = myStream.getVideoTracks()[0];
  camerasSelect.replaceChildren();
  cameras.forEach((camera, index) => {
    const option = document.createElement("option");
    option.value = camera.deviceId;
    option.textContent = camera.label || `Camera ${index + 1}`;
    option.selected = current?.getSettings().deviceId === camera.deviceId;
    camerasSelect.append(option);
  });
}

async function getMedia(deviceId) {
  const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: "user" };
  // Stop the old tracks first, or the old camera stays on (its light too); many phones
  // cannot open a second camera while the first one runs.
  myStream?.getTracks().forEach((track) => track.stop());
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  stream.getAudioTracks().forEach((track) => (track.enabled = !muted));
  stream.getVideoTracks().forEach((track) => (track.enabled = !cameraOff));
  // In a call, the peer must get the new tracks: swap them into what we send.
  if (myPeerConnection) {
    for (const sender of myPeerConnection.getSenders()) {
      const track = stream.getTracks().find((track) => track.kind === sender.track?.kind);
      if (track) await sender.replaceTrack(track);
    }
  }
  myStream = stream;
  myFace.srcObject = myStream;
}

muteButton.addEventListener("click", () => {
  muted = !muted;
  myStream.getAudioTracks().forEach((track) => (track.enabled = !muted));
  muteButton.textContent = muted ? "Unmute" : "Mute";
});

cameraButton.addEventListener("click", () => {
  cameraOff = !cameraOff;
  myStream.getVideoTracks().forEach((track) => (track.enabled = !cameraOff));
  cameraButton.textContent = cameraOff ? "Turn Camera On" : "Turn Camera Off";
});

camerasSelect.addEventListener("input", async () => {
  try {
    await getMedia(camerasSelect.value);
  } catch (error) {
    showProblem(explain(error));
  }
});

// --- The room ----------------------------------------------------------------------

welcomeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = welcomeForm.querySelector("input");
  problem.hidden = true;
  // Browsers give cameras only to secure pages: https://, or http://localhost.
  if (!navigator.mediaDevices?.getUserMedia) {
    return showProblem("This page is not a secure origin, so the browser offers no camera: open it as http://localhost, or start the server with HTTPS=1.");
  }
  try {
    if (!myStream) {
      await getMedia();
      await getCameras();
    }
  } catch (error) {
    return showProblem(explain(error));
  }
  makeConnection();
  socket.emit("join_room", input.value, (room) => {
    roomName = room;
    welcome.hidden = true;
    call.hidden = false;
    status.textContent = `Room ${room}: waiting for someone to join…`;
  });
  input.value = "";
});

socket.on("room_full", (room) => {
  showProblem(`Room ${room} is full: a call holds two people. Try another room.`);
  // No call, so no camera: turn it off until the next try.
  myStream.getTracks().forEach((track) => track.stop());
  myStream = undefined;
});

socket.on("error", showProblem);

// --- The call ----------------------------------------------------------------------

// Runs in the browser that was there first: someone joined, so we call them.
socket.on("welcome", async () => {
  status.textContent = "Someone joined: calling…";
  // Step 2: create an offer, make it the local description, and send it to the room.
  const offer = await myPeerConnection.createOffer();
  await myPeerConnection.setLocalDescription(offer);
  socket.emit("offer", offer, roomName);
  // (end of step 2)
});

// Runs in the browser that joined: answer the call.
socket.on("offer", async (offer) => {
  // Step 3: take the offer as the remote description, then create, set and send an answer.
  await myPeerConnection.setRemoteDescription(offer);
  await addPendingCandidates();
  const answer = await myPeerConnection.createAnswer();
  await myPeerConnection.setLocalDescription(answer);
  socket.emit("answer", answer, roomName);
  // (end of step 3)
});

socket.on("answer", async (answer) => {
  await myPeerConnection.setRemoteDescription(answer);
  await addPendingCandidates();
});

// A candidate is only usable once its description is in place; keep early ones.
socket.on("ice", async (candidate) => {
  // Step 4: add the other browser's candidate to the connection (or keep it for later).
  if (myPeerConnection.remoteDescription) {
    await myPeerConnection.addIceCandidate(candidate);
  } else {
    pendingCandidates.push(candidate);
  }
  // (end of step 4)
});

async function addPendingCandidates() {
  const candidates = pendingCandidates;
  pendingCandidates = [];
  for (const candidate of candidates) await myPeerConnection.addIceCandidate(candidate);
}

// The other person left: drop that connection and wait for the next one.
socket.on("bye", () => {
  status.textContent = `Room ${roomName}: the other person left. Waiting for someone to join…`;
  peerFace.srcObject = null;
  makeConnection();
});

function makeConnection() {
  myPeerConnection?.close();
  pendingCandidates = [];
  const peer = new RTCPeerConnection({ iceServers });
  peer.addEventListener("icecandidate", (event) => {
    // `null` marks the end of the candidates: nothing to pass on.
    if (event.candidate) socket.emit("ice", event.candidate, roomName);
  });
  peer.addEventListener("track", (event) => {
    peerFace.srcObject = event.streams[0];
  });
  peer.addEventListener("connectionstatechange", () => {
    if (peer.connectionState === "connected") {
      status.textContent = `Room ${roomName}: in a call ✅`;
    } else if (peer.connectionState === "failed") {
      // Typically two networks that cannot reach each other directly: see ICE_SERVERS.
      status.textContent = `Room ${roomName}: the call could not connect. A TURN server may be needed.`;
    }
  });
  myStream.getTracks().forEach((track) => peer.addTrack(track, myStream));
  myPeerConnection = peer;
}
