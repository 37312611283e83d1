// Report filters: a box above each taxonomy checklist that hides the options not matching what
// is typed. Without this script every checkbox shows and the form works the same; the query
// string (product=A&product=B...) is what the form submitted before.
(function () {
  "use strict";

  function fold(text) {
    return text.toLocaleLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function enhance(fieldset) {
    var search = fieldset.querySelector("[data-term-search]");
    var none = fieldset.querySelector("[data-term-none]");
    var items = Array.prototype.slice.call(fieldset.querySelectorAll(".term-options li"));
    if (!search || items.length === 0) {
      return;
    }
    search.closest("label").hidden = false;
    function narrow() {
      var wanted = fold(search.value.trim());
      var shown = 0;
      items.forEach(function (item) {
        var box = item.querySelector("input");
        // A chosen option stays in sight, so nothing chosen is hidden from the person.
        var match = !wanted || box.checked || fold(item.textContent).indexOf(wanted) !== -1;
        item.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      none.hidden = shown !== 0;
    }
    search.addEventListener("input", narrow);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // Enter in the box narrows; it does not submit the form
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-term-filter]").forEach(enhance);
  });
})();
