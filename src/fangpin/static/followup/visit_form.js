/* Monthly visit form (R-TRACK-02): offline-tolerant.
 * - Keeps the inputs in localStorage (per household and month) while typing; restores them after a reload.
 * - Submits with fetch: if the network drops, says so and keeps the inputs; the hidden idempotency key is
 *   kept too, so submitting again never records the visit twice.
 * - Clears the saved inputs once the visit is recorded.
 * - Adds member-change rows (without JavaScript one row works).
 * No inline script (CSP): loaded with <script src defer>.
 */
(function () {
  "use strict";
  var OFFLINE = "网络中断，已保存在本机，恢复网络后请再次提交";
  var ROW_NAME = /^member_changes\[(\d+)\]\./;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function rows(form) { return form.querySelectorAll("fieldset.mv-change"); }

  function collect(form) {
    var out = { __rows: rows(form).length, __saved: new Date().toISOString() };
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "submit" || el.type === "button") { return; }
      if (el.type === "checkbox") {
        out[el.name] = out[el.name] || [];
        if (el.checked) { out[el.name].push(el.value); }
      } else if (el.type === "radio") {
        if (el.checked) { out[el.name] = el.value; }
      } else {
        out[el.name] = el.value;
      }
    });
    return out;
  }

  function apply(form, saved) {
    while (rows(form).length < (saved.__rows || 1)) { addRow(form); }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in saved) || el.name === "csrfmiddlewaretoken") { return; }
      var value = saved[el.name];
      if (el.type === "checkbox") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) >= 0;
      } else if (el.type === "radio") {
        el.checked = el.value === value;
      } else {
        el.value = value;
      }
    });
  }

  function addRow(form) {
    var all = rows(form);
    var last = all[all.length - 1];
    if (!last) { return; }
    var index = all.length;
    var row = last.cloneNode(true);
    row.setAttribute("data-index", String(index));
    Array.prototype.forEach.call(row.querySelectorAll("[name]"), function (el) {
      el.name = el.name.replace(ROW_NAME, "member_changes[" + index + "].");
      if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
    });
    Array.prototype.forEach.call(row.querySelectorAll(".errorlist"), function (ul) { ul.remove(); });
    var legend = row.querySelector("legend");
    if (legend) { legend.textContent = "变动 " + (index + 1); }
    last.parentNode.appendChild(row);
  }

  function say(text) {
    var box = document.getElementById("mv-status");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = !text;
    if (text) { box.scrollIntoView({ block: "center" }); }
  }

  function init() {
    var form = document.getElementById("monthly-form");
    if (!form) { return; }
    var key = form.getAttribute("data-storage-key");
    var store = storage();
    var hasErrors = form.querySelector(".errorlist") || document.querySelector(".nonfield");

    if (store && key && !hasErrors) {
      var raw = store.getItem(key);
      if (raw) {
        try { apply(form, JSON.parse(raw)); say("已恢复本机保存的未提交内容，请核对后提交"); } catch (e) { store.removeItem(key); }
      }
    }
    function save() {
      if (store && key) {
        try { store.setItem(key, JSON.stringify(collect(form))); } catch (e) { /* storage full or blocked */ }
      }
    }
    save();
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    var add = document.getElementById("mv-add-change");
    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () { addRow(form); save(); });
    }

    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) { return; }  // plain POST
      event.preventDefault();
      save();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = "正在提交…"; }
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (response.redirected) {  // recorded (or found recorded): forget the saved copy
          if (store && key) { store.removeItem(key); }
          window.location.assign(response.url);
          return null;
        }
        if (response.status >= 500) { throw new Error("server"); }
        return response.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var main = doc.querySelector("main");
          if (!main) { throw new Error("page"); }
          document.querySelector("main").innerHTML = main.innerHTML;  // the page with the Chinese errors
          window.scrollTo(0, 0);
          init();
        });
      }).catch(function () {
        if (button) { button.disabled = false; button.textContent = "提交月访视"; }
        say(OFFLINE);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
