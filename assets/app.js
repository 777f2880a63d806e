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

// Deliverables from a phone: show the upload's progress. Without JavaScript the form posts
// as usual; with it the same post goes through XMLHttpRequest, and the answer (the
// contract page, or the form with its errors) replaces the page.
(function () {
  var form = document.getElementById("deliverable-form");
  var bar = document.getElementById("upload-progress");
  if (!form || !bar || !window.XMLHttpRequest || !window.FormData) return;
  form.addEventListener("submit", function (e) {
    var files = form.querySelectorAll("input[type=file]");
    var any = false;
    for (var i = 0; i < files.length; i++) if (files[i].files.length) any = true;
    if (!any) return; // nothing to wait for
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) bar.value = Math.round(ev.loaded * 100 / ev.total); };
    xhr.onload = function () {
      if (xhr.status === 200 && xhr.responseURL && xhr.responseURL.indexOf(form.action) !== 0) { location.href = xhr.responseURL; return; }
      document.open(); document.write(xhr.responseText); document.close();
    };
    xhr.onerror = function () { bar.hidden = true; alert("上传失败，请检查网络后重试；成果未保存。"); };
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    xhr.send(new FormData(form));
  });
})();
