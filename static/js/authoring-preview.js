// Refreshes the lesson editor's preview while the trainer types. The page
// works without it: the "Preview" button renders the same on the server.
(function () {
  "use strict";
  var form = document.querySelector("form.lesson-editor[data-preview-url]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-preview-url");
  var tokenField = form.querySelector("input[name=csrf_token]");
  var timers = {};

  function refresh(textarea) {
    var target = document.getElementById(textarea.getAttribute("data-preview"));
    if (!target) { return; }
    var body = new URLSearchParams();
    body.append("text", textarea.value);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenField ? tokenField.value : "" },
      body: body
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      // The server sanitises the HTML exactly as for learners.
      if (data && typeof data.html === "string") { target.innerHTML = data.html; }
    }).catch(function () { /* keep the last preview; "Preview" still works */ });
  }

  form.querySelectorAll("textarea[data-preview]").forEach(function (textarea) {
    textarea.addEventListener("input", function () {
      var id = textarea.id;
      clearTimeout(timers[id]);
      timers[id] = setTimeout(function () { refresh(textarea); }, 500);
    });
  });
  form.querySelectorAll("input[id^=title_]").forEach(function (input) {
    input.addEventListener("input", function () {
      var language = input.id.replace("title_", "");
      var title = document.querySelector("#lang-" + language + " .preview-title");
      if (title) { title.textContent = input.value; }
    });
  });
}());
