// A form sent back with an error puts the focus in the field it marked invalid. The page's
// autofocus alone would not: browsers skip autofocus on a URL with a fragment, and the fragment
// is what brings a page without script back to the form.
(function () {
  "use strict";
  var field = document.querySelector("[aria-invalid=true][autofocus]");
  if (field) {
    field.focus();
  }
})();
