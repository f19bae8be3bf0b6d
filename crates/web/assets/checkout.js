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
  province.addEventListener("change", function () {
    var first = ward.options[0];
    ward.innerHTML = "";
    ward.appendChild(first);
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
