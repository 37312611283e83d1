// Filters and sort apply as soon as they change; the Search button still works without script.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("search-form");
  if (form) {
    form.querySelectorAll(".autosubmit").forEach((input) => {
      input.addEventListener("change", () => {
        const page = form.querySelector("input[name=page]");
        if (page) page.remove();
        form.submit();
      });
    });
  }
});
