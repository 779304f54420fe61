// Data access: the meaning of the chosen access level stands out (bold, with a marker) under
// the select (templates/deposit/widgets/access_level.html). Nothing is validated here.
const select = document.getElementById("/rights/access_level");
const meanings = document.getElementById("/rights/access_level-meanings");
if (select && meanings) {
  const mark = () => {
    for (const li of meanings.querySelectorAll("li")) li.classList.toggle("chosen", li.dataset.level === select.value);
  };
  select.addEventListener("change", mark);
  mark();
}
