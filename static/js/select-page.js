// A Logs table's header checkbox ticks or clears every row of the page, and shows whether all,
// some or none are ticked. It is hidden in the markup, so a page without script has no box
// that does nothing.
(function () {
  "use strict";
  document.querySelectorAll("input.select-page").forEach(function (all) {
    var table = all.closest("table");
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody input[type=checkbox]"));
    function sync() {
      var ticked = rows.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
    });
    rows.forEach(function (box) { box.addEventListener("change", sync); });
    sync();
    all.hidden = false;
  });
})();
