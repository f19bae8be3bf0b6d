// The product page's choice, improved where a script can: sizes that the chosen colour does
// not come in (or has sold out) are shown unavailable, the chosen option's price and stock
// are shown, a missing choice is named before the form is sent, and the gallery follows the
// chosen colour. Without this script the form works as it is: the server resolves colour and
// size, and answers a missing or unavailable choice with the same messages.
(function () {
  var form = document.getElementById("choose");
  if (!form) return;
  var data;
  try { data = JSON.parse(form.dataset.variants); } catch (e) { return; }
  var colourChoice = document.getElementById("colour-choice");
  var sizeChoice = document.getElementById("size-choice");
  var problem = document.getElementById("choice-problem");
  var price = document.getElementById("choice-price");
  var stock = document.getElementById("choice-stock");
  var status = document.getElementById("choice-status");
  var slides = document.getElementById("slides");
  var initialPrice = price.textContent;
  var initialStock = stock.textContent;
  var initialStockClass = stock.className;

  // The browser's own "please select" bubbles are in the browser's language; ours name the
  // missing choice in the shop's.
  form.noValidate = true;

  function checked(name) {
    var input = form.querySelector("input[name='" + name + "']:checked") ||
      form.querySelector("input[type=hidden][name='" + name + "']");
    return input ? input.value : null;
  }
  function sizeIndex() {
    var input = form.querySelector("input[name=size]:checked");
    if (input) return Number(input.dataset.index);
    return sizeChoice ? null : 0;
  }
  function cell(colour, size) {
    for (var i = 0; i < data.cells.length; i++) {
      var c = data.cells[i];
      if (c.colour === colour && c.size === size) return c;
    }
    return null;
  }

  function showProblem(text, fieldset) {
    problem.textContent = text;
    problem.hidden = !text;
    [colourChoice, sizeChoice].forEach(function (f) {
      if (!f) return;
      var bad = f === fieldset;
      f.classList.toggle("invalid", bad);
      if (bad) f.setAttribute("aria-describedby", "choice-problem");
      else f.removeAttribute("aria-describedby");
    });
  }

  function refreshSizes() {
    var colour = checked("color");
    if (!sizeChoice || colour === null) return;
    sizeChoice.querySelectorAll("input[name=size]").forEach(function (input) {
      var c = cell(colour, Number(input.dataset.index));
      var available = !!(c && c.available);
      var mark = input.nextElementSibling.querySelector(".mark");
      input.disabled = !available;
      if (mark) mark.textContent = available ? "" : " (" + (c ? data.sold_out : data.unavailable) + ")";
      if (!available && input.checked) input.checked = false;
    });
  }

  function refreshPrice() {
    var colour = checked("color");
    var size = sizeIndex();
    var c = colour !== null && size !== null ? cell(colour, size) : null;
    if (c) {
      price.textContent = c.price;
      stock.textContent = c.stock;
      stock.className = "stock " + c.stock_class;
      status.textContent = price.textContent + ", " + stock.textContent;
    } else {
      price.textContent = initialPrice;
      stock.textContent = initialStock;
      stock.className = initialStockClass;
    }
  }

  function showColour(colour) {
    if (!slides || colour === null) return;
    var first = slides.querySelector(".slide[data-colour='" + colour + "']");
    if (first) slides.scrollTo({ left: first.offsetLeft - slides.offsetLeft, behavior: "smooth" });
    markThumb(colour ? document.querySelector(".thumbs a[data-colour='" + colour + "']") : null);
  }

  function markThumb(link) {
    document.querySelectorAll(".thumbs a").forEach(function (a) {
      if (a === link) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "color") {
      refreshSizes();
      showColour(event.target.value);
    }
    if (event.target.name === "color" || event.target.name === "size") {
      refreshPrice();
      if (!problem.hidden) showProblem("", null);
    }
  });

  form.addEventListener("submit", function (event) {
    var noColour = colourChoice && !checked("color");
    var noSize = sizeChoice && !form.querySelector("input[name=size]:checked");
    if (!noColour && !noSize) return;
    event.preventDefault();
    var text = noColour && noSize ? data.choose_colour_and_size : noColour ? data.choose_colour : data.choose_size;
    var fieldset = noColour ? colourChoice : sizeChoice;
    showProblem(text, fieldset);
    var first = fieldset.querySelector("input:not(:disabled)");
    if (first) first.focus();
  });

  // Thumbnails scroll the gallery instead of jumping the page to the picture.
  document.querySelectorAll(".thumbs a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target || !slides) return;
      event.preventDefault();
      slides.scrollTo({ left: target.offsetLeft - slides.offsetLeft, behavior: "smooth" });
      markThumb(link);
    });
  });

  refreshSizes();
  refreshPrice();
})();
