// Print buttons on the print views: <button data-print>. An external file, so that the pages need no
// inline event handler under the content security policy.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
