/*
 * Forecast Workbench: stream the file chosen or dropped in the Data page's upload box to the
 * server's upload route (dashboard/upload.py), instead of dcc.Upload's way (the whole file read
 * into a base64 data URL in the page, then posted as JSON through a callback).
 *
 * The route answers the dataset store's new content ({hash, filename, overrides}) or {error};
 * the first is put in the `dataset` store, the second in `upload-error`, which a callback of the
 * Data page shows under the box. dcc.Upload still draws the box, the file input and the dialog.
 */
(function () {
  "use strict";

  function zone(target) {
    return target && target.closest ? target.closest("#upload") : null;
  }

  function uploadUrl() {
    var prefix = "/";
    try {
      prefix = JSON.parse(document.getElementById("_dash-config").textContent)
        .requests_pathname_prefix || "/";
    } catch (e) {
      // no config element: the app is served at the root
    }
    return prefix + "upload";
  }

  function setProps(id, props) {
    window.dash_clientside.set_props(id, props);
  }

  function fail(message) {
    setProps("upload-error", { data: { message: message, at: Date.now() } });
  }

  function busy(box, on) {
    if (on) {
      box.setAttribute("data-uploading", "");
      box.setAttribute("aria-busy", "true");
    } else {
      box.removeAttribute("data-uploading");
      box.removeAttribute("aria-busy");
    }
  }

  function send(file, box) {
    busy(box, true);
    fetch(uploadUrl(), {
      method: "POST",
      body: file,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/octet-stream",
        "X-Upload-Filename": encodeURIComponent(file.name),
      },
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "The upload failed (HTTP " + response.status + "); try again." };
        });
      })
      .then(
        function (answer) {
          busy(box, false);
          if (answer && answer.hash) {
            setProps("dataset", {
              data: { hash: answer.hash, filename: answer.filename, overrides: {} },
            });
          } else {
            fail((answer && answer.error) || "The upload failed; try again.");
          }
        },
        function () {
          busy(box, false);
          fail(
            "The upload did not reach the server; check that the dashboard is still running " +
              "and try again."
          );
        }
      );
  }

  // Capture phase on the window: these run before React's listeners (on the app's root
  // element), and stop the events there, so dcc.Upload never reads the file itself.
  window.addEventListener(
    "change",
    function (event) {
      var input = event.target;
      var box = zone(input);
      if (!box || input.type !== "file") return;
      event.stopImmediatePropagation();
      var file = input.files && input.files[0];
      input.value = "";
      if (file) send(file, box);
    },
    true
  );

  window.addEventListener(
    "drop",
    function (event) {
      var box = zone(event.target);
      if (!box) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      box.removeAttribute("data-dragging");
      var file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) send(file, box);
    },
    true
  );

  // The drag state (dcc.Upload's own is left stuck by the stopped drop, so it draws none).
  window.addEventListener(
    "dragover",
    function (event) {
      var box = zone(event.target);
      if (box) box.setAttribute("data-dragging", "");
    },
    true
  );
  window.addEventListener(
    "dragleave",
    function (event) {
      var box = zone(event.target);
      if (box && !box.contains(event.relatedTarget)) box.removeAttribute("data-dragging");
    },
    true
  );
})();
