// The media library page: upload with a progress bar, and the preparation's progress.
// Without this script the form still uploads (a plain POST) and the page shows the state
// as of its loading.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
  var lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "";
  var uploading = false;  // reloading the page now would cut the upload off

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key] || ""; });
  }

  function sizeText(bytes) {
    var units = [["GB", 1e9], ["MB", 1e6], ["kB", 1e3]];
    for (var i = 0; i < units.length; i++) {
      if (bytes >= units[i][1]) {
        var text = (bytes / units[i][1]).toFixed(1).replace(/\.0$/, "");
        return (lang ? text : text.replace(".", ",")) + " " + units[i][0];
      }
    }
    return bytes + " B";
  }

  if (form) {
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var file = input.files && input.files[0];
      event.preventDefault();
      if (!file) { status.textContent = form.dataset.noFile; return; }
      var image = /^image\//.test(file.type) || /\.(jpe?g|png|webp|gif|bmp|tiff?|heic)$/i.test(file.name);
      var limit = Number(image ? form.dataset.maxImage : form.dataset.maxVideo);
      if (file.size > limit) {  // said at once, before a byte is sent
        status.textContent = say(form.dataset.tooLarge, {
          name: file.name, size: sizeText(file.size),
          limit: image ? form.dataset.limitImage : form.dataset.limitVideo});
        status.className = "notice";
        return;
      }
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0; button.disabled = true; uploading = true;
      status.className = "muted"; status.textContent = form.dataset.uploading;
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.floor(e.loaded * 100 / e.total);
          status.textContent = form.dataset.uploading + " " + bar.value + "%";
        }
      });
      request.addEventListener("load", function () {
        var answer = {};
        try { answer = JSON.parse(request.responseText); } catch (e) { answer = {}; }
        if (request.status === 201) {
          var url = new URL(form.action, location.href);
          url.searchParams.set("uploaded", answer.name || file.name);
          location.assign(url.toString());
          return;
        }
        button.disabled = false; bar.hidden = true; uploading = false;
        status.className = "notice";
        if (/\/login/.test(request.responseURL || "")) {  // the session ended meanwhile
          status.textContent = form.dataset.expired;
        } else if (request.status === 403 && !answer.error) {
          status.textContent = form.dataset.forbidden;
        } else {
          status.textContent = answer.error || ("HTTP " + request.status);
        }
      });
      request.addEventListener("error", function () {
        button.disabled = false; bar.hidden = true; uploading = false;
        status.className = "notice"; status.textContent = form.dataset.network;
      });
      request.send(new FormData(form));
    });
  }

  document.querySelectorAll("form.media-delete").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      var label = f.querySelector("button").getAttribute("aria-label");
      if (!window.confirm(label + "?")) { event.preventDefault(); }
    });
  });

  function poll() {
    if (!document.querySelector("li.media-item[data-state=preparing]")) { return; }
    fetch("/api/v1/media" + (lang ? "?lang=en" : ""), {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var finished = false;
        data.media.forEach(function (m) {
          var li = document.querySelector('li.media-item[data-id="' + m.id + '"]');
          if (!li) { return; }
          if (li.dataset.state === "preparing" && m.state !== "preparing") { finished = true; }
          li.querySelector(".media-state").textContent = m.label;
          var bar = li.querySelector("progress.job");
          if (bar) { bar.value = Math.floor(m.progress * 100); }
        });
        // an item finished: reload to show it, unless an upload is under way (its end
        // loads the page anyway)
        if (finished && !uploading) { location.reload(); } else { setTimeout(poll, 2000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
