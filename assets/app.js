// Screening as the department types: the application form is posted to
// /admissions/precheck a moment after the last keystroke and the findings, with the
// triggering words highlighted, replace the panel. Without JavaScript the 检查 button
// does the same on the server.
(function () {
  var form = document.getElementById("admission-form");
  var panel = document.getElementById("live-findings");
  if (!form || !panel) return;
  var timer = null, seq = 0;
  function check() {
    var mine = ++seq;
    var body = new URLSearchParams(new FormData(form));
    body.set("action", "precheck");
    fetch("/admissions/precheck", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.status === 200 ? r.text() : null; })
      .then(function (html) { if (html !== null && mine === seq) panel.innerHTML = html; })
      .catch(function () {});
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  });
})();
