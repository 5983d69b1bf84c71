// Chapter 1 runs no code in the browser that talks to the server: every exchange is a
// plain HTTP request made by a link or a form. This only shows when the page arrived.
const answered = document.querySelector("#answered");
answered.textContent = new Date().toLocaleTimeString();
