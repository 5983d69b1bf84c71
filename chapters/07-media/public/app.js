// Chapter 7: the camera and microphone, all in the browser.
const myFace = document.getElementById("myFace");
const muteButton = document.getElementById("mute");
const cameraButton = document.getElementById("camera");
const camerasSelect = document.getElementById("cameras");
const problem = document.getElementById("problem");

let myStream; // a MediaStream: one audio track and one video track
let muted = false;
let cameraOff = false;

// Says in words what went wrong, instead of leaving a black box on the page.
function showProblem(error) {
  const reasons = {
    NotAllowedError: "You did not allow the camera and microphone. Allow them (the icon in the address bar) and reload.",
    NotFoundError: "No camera or microphone was found on this machine.",
    NotReadableError: "The camera or microphone is busy: another program or tab is using it.",
    OverconstrainedError: "That camera is no longer available.",
  };
  problem.textContent = reasons[error.name] ?? `The camera could not start: ${error.message}`;
  problem.hidden = false;
  for (const control of [muteButton, cameraButton, camerasSelect]) control.disabled = true;
}

// Fills the camera list, selecting the one in use.
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

// Asks for a stream: the front camera at first, a chosen camera later.
async function getMedia(deviceId) {
  let video = { facingMode: "user" };
  if (deviceId) {
    // Step 3: ask for exactly the chosen camera: a `deviceId` constraint, with `exact`.
    video = { deviceId: { exact: deviceId } };
    // (end of step 3)
  }
  // Stop the old tracks first, or the old camera stays on (its light too); many phones
  // cannot open a second camera while the first one runs.
  myStream?.getTracks().forEach((track) => track.stop());
  // Step 1: ask for the microphone and the camera, and show the stream in video#myFace.
  myStream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  myFace.srcObject = myStream;
  // (end of step 1)
  // A new stream keeps the choices made with the buttons.
  myStream.getAudioTracks().forEach((track) => (track.enabled = !muted));
  myStream.getVideoTracks().forEach((track) => (track.enabled = !cameraOff));
}

muteButton.addEventListener("click", () => {
  muted = !muted;
  // Step 2: turn the microphone off or on: set each audio track's `enabled` to `!muted`.
  myStream.getAudioTracks().forEach((track) => (track.enabled = !muted));
  // (end of step 2)
  muteButton.textContent = muted ? "Unmute" : "Mute"; // what a click will do next
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
    showProblem(error);
  }
});

async function start() {
  // Browsers give cameras only to secure pages: https://, or http://localhost.
  if (!navigator.mediaDevices?.getUserMedia) {
    problem.textContent = "This page is not a secure origin, so the browser offers no camera: open it as http://localhost or over https://.";
    problem.hidden = false;
    return;
  }
  try {
    await getMedia();
    await getCameras(); // labels are only known once the user has said yes
  } catch (error) {
    showProblem(error);
  }
}

start();
