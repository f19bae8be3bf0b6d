// Narrows the ward list to the chosen province without a page reload, and keeps the order's
// total in step with the chosen delivery method. Without JavaScript the form's "show wards"
// and "update the total" buttons do the same through the server.
(function () {
  var summaryError = document.getElementById("form-error");
  if (summaryError) summaryError.focus();
  var fee = document.getElementById("checkout-shipping-fee");
  var total = document.getElementById("checkout-total");
  document.querySelectorAll('input[name="shipping_method"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked || !fee || !total) return;
      fee.textContent = radio.dataset.fee;
      total.textContent = radio.dataset.total;
    });
  });
})();
(function () {
  var province = document.getElementById("province_code");
  var ward = document.getElementById("ward_code");
  if (!province || !ward) return;
  document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });

  // Folds text the way the shop's search does: no case, no marks, đ as d.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  // A box above a list that narrows it to the names containing what is typed, marks or not.
  function searchable(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-filter";
    box.autocomplete = "off";
    box.placeholder = select.dataset.find;
    box.setAttribute("aria-label", select.dataset.find);
    box.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var query = fold(box.value.trim());
      var all = select.allOptions || (select.allOptions = Array.prototype.slice.call(select.options));
      select.innerHTML = "";
      all.forEach(function (option, i) {
        if (i === 0 || !query || fold(option.textContent).indexOf(query) !== -1) select.appendChild(option);
      });
      if (select.options.length === 2 && select.selectedIndex !== 1) {
        select.selectedIndex = 1;
        select.dispatchEvent(new Event("change"));
      }
    });
    return box;
  }
  searchable(province);
  var wardBox = searchable(ward);
  province.addEventListener("change", function () {
    var first = (ward.allOptions || ward.options)[0];
    ward.innerHTML = "";
    ward.appendChild(first);
    ward.allOptions = null;
    wardBox.value = "";
    if (!province.value) return;
    fetch(province.dataset.wardsUrl + encodeURIComponent(province.value) + "/wards")
      .then(function (r) { return r.ok ? r.json() : { wards: [] }; })
      .then(function (body) {
        body.wards.forEach(function (w) {
          var option = document.createElement("option");
          option.value = w.code;
          option.textContent = w.name;
          ward.appendChild(option);
        });
      });
  });
})();
