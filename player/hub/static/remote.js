// Remote commands: refresh the cluster page's panel while a command is open, and filter a log
// as one types. The page works without this file (forms, the page's own refresh, ?q=).
(function () {
  "use strict";
  function watch() {
    var panel = document.getElementById("remote");
    if (!panel || panel.getAttribute("data-open") !== "1") return;
    setTimeout(function () {
      fetch(panel.getAttribute("data-panel"), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (text) {
          if (text === null) { watch(); return; }
          var holder = document.createElement("div");
          holder.innerHTML = text;
          var fresh = holder.querySelector("#remote");
          if (fresh) { panel.replaceWith(fresh); }
          watch();
        })
        .catch(function () { watch(); });
    }, 2000);
  }
  function filter() {
    var box = document.querySelector("input[data-filter=log]");
    var log = document.getElementById("log");
    if (!box || !log) return;
    var count = document.querySelector("[data-count]");
    box.addEventListener("input", function () {
      var q = box.value.toLocaleLowerCase(), shown = 0;
      log.querySelectorAll("span").forEach(function (line) {
        var hit = !q || line.textContent.toLocaleLowerCase().indexOf(q) >= 0;
        line.hidden = !hit;
        if (hit) shown += 1;
      });
      if (count) count.textContent = count.textContent.replace(/\d+/, String(shown));
    });
  }
  if (!window.__remotePanel) {
    window.__remotePanel = true;
    document.addEventListener("DOMContentLoaded", function () { watch(); filter(); });
  } else {
    watch();
  }
})();
