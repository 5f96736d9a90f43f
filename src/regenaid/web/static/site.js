// Progressive enhancement only; every page works without this file.
// SURE test: show the result as soon as all four items are answered.
(function () {
  "use strict";
  var box = document.querySelector("[data-sure]");
  if (!box) { return; }
  var out = box.querySelector(".sure-result");
  box.addEventListener("change", function () {
    var items = box.querySelectorAll(".sure-item");
    var answered = 0, no = 0;
    items.forEach(function (item) {
      var picked = item.querySelector("input:checked");
      if (picked) { answered += 1; if (picked.value === "no") { no += 1; } }
    });
    if (answered < items.length) { out.textContent = ""; return; }
    out.textContent = no === 0 ? out.dataset.allYes : out.dataset.someNo.replace("{count}", String(no));
  });
}());

// Saved link: a copy button (hidden without this file; the link field can be selected by hand).
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.dataset.copy);
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.dataset.copied;
      });
    });
  });
}());
