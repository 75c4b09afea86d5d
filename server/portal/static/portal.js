// Progressive enhancement only: every page works without this file.
// The exercise picture follows the exercise chosen in its list at once (without a script
// it follows on the next Check).
document.addEventListener("change", function (ev) {
  var sel = ev.target;
  if (!sel || sel.tagName !== "SELECT") return;
  var img = document.querySelector('img[data-picture-for="' + sel.id + '"]');
  if (img) img.src = img.src.replace(/[a-z_]+\.png$/, sel.value + ".png");
});
// After a check with problems, move the keyboard focus to the list of problems.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("problems");
  if (box) box.focus();
});
