// Small enhancements; every page works without them.
(function () {
  "use strict";

  // Countdowns: <time class="clock" datetime="..."> shows the time left or overdue, refreshed each minute.
  function span(ms) {
    var m = Math.floor(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
    if (d > 0) return d + "天" + (h ? h + "小时" : "");
    if (h > 0) return h + "小时" + (m % 60 ? (m % 60) + "分" : "");
    return Math.max(m % 60, 1) + "分钟";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.clock[data-label]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("datetime")) - now;
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 24 * 3600 * 1000);
      el.textContent = el.dataset.label + (left < 0 ? " 已超期 " + span(left) : " 剩 " + span(left));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 60000);
  });
  document.addEventListener("htmx:afterSwap", tick);

  // Category picker: show the categories of the chosen stream that match the typed words.
  function filterOptions(select) {
    var streamSel = document.querySelector('[data-filters="' + select.id + '"]');
    var search = document.querySelector('[data-search="' + select.id + '"]');
    var stream = streamSel ? streamSel.value : "";
    var words = search ? search.value.trim() : "";
    Array.prototype.forEach.call(select.options, function (opt) {
      if (!opt.value) return;
      var show = (!stream || opt.dataset.stream === stream) && (!words || opt.text.indexOf(words) >= 0);
      opt.hidden = !show;
      if (!show && opt.selected) opt.selected = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-filters], [data-search]").forEach(function (el) {
      var target = document.getElementById(el.dataset.filters || el.dataset.search);
      if (!target) return;
      el.addEventListener(el.dataset.search ? "input" : "change", function () { filterOptions(target); });
      filterOptions(target);
    });
  });

  // Suggested values (建议分类, 建议牵头单位): a button's data-fill names the select it fills. A typed
  // filter that hides the suggested option is cleared first, else the filter would drop the choice.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-fill]");
    var field = btn && document.getElementById(btn.dataset.fill);
    if (!field) return;
    var search = document.querySelector('[data-search="' + field.id + '"]');
    if (search && search.value) {
      search.value = "";
      filterOptions(field);
    }
    field.value = btn.dataset.value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });

  // Browser location for field reports: fills the hidden lat/lng inputs named in data-geolocate.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-geolocate]");
    if (!btn) return;
    var ids = btn.dataset.geolocate.split(" ");
    var lat = document.getElementById(ids[0]), lng = document.getElementById(ids[1]);
    var status = document.getElementById(ids[2]);
    if (!navigator.geolocation) { status.textContent = "此浏览器不支持定位，请填写具体位置。"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
      status.textContent = "已定位（" + lat.value + "，" + lng.value + "）";
    }, function () {
      status.textContent = "未能定位，请检查定位权限，或填写具体位置。";
    }, { enableHighAccuracy: true, timeout: 15000 });
  });

  // Copy buttons: data-copy names the element whose text goes to the clipboard (the receipt code).
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn || !navigator.clipboard) return;
    var text = document.getElementById(btn.dataset.copy).textContent.trim();
    navigator.clipboard.writeText(text).then(function () { btn.textContent = "已复制"; }, function () {
      btn.textContent = "复制失败，请手动抄写";
    });
  });

  // A form shown again with errors: the summary takes the focus (a screen reader reads it first), and
  // each of its links puts the cursor into the field it names, not only the page's scroll.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest(".error-summary a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    ev.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  });

  // A confirm step for buttons marked data-confirm (no inline handlers: the CSP forbids them).
  document.addEventListener("submit", function (ev) {
    var btn = ev.submitter;
    var msg = (btn && btn.dataset.confirm) || ev.target.dataset.confirm;
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
