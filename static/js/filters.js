// Back/Forward may restore a Logs page's filter fields as they were edited before leaving: show the
// filters of the rows on the page (the server-rendered values) instead.
window.addEventListener("pageshow", function () {
  var filters = document.getElementById("filters");
  if (filters) {
    filters.reset();
  }
});
