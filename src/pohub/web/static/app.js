// Small enhancements; every page works without them.
(function () {
  "use strict";

  // Acknowledge form: an answer other than "Split" fills the line's quantities for you.
  function syncLine(fieldset) {
    var select = fieldset.querySelector(".ack-action");
    if (!select) return;
    var ordered = parseInt(fieldset.getAttribute("data-ordered"), 10) || 0;
    var i = fieldset.getAttribute("data-line");
    var boxes = {
      accept: document.getElementById("accept-" + i),
      backorder: document.getElementById("backorder-" + i),
      cancel: document.getElementById("cancel-" + i)
    };
    var action = select.value;
    Object.keys(boxes).forEach(function (name) {
      var box = boxes[name];
      if (!box) return;
      if (action === "split") {
        box.readOnly = false;
      } else {
        box.value = name === action ? String(ordered) : "0";
        box.readOnly = true;
      }
    });
  }

  // Split: the three boxes answer every unit of the line. Typing Accept gives the rest to
  // Backorder, typing Backorder or Cancel takes it from Accept, but only while that box has not
  // been typed in: what a person typed is never rewritten, and Cancel is never filled for them.
  // Whatever is left over is said plainly under the boxes, and the hub-side form refuses to send
  // a line that does not add up.
  function box(i, name) { return document.getElementById(name + "-" + i); }
  function num(el) { var v = parseInt(el.value, 10); return isNaN(v) ? 0 : v; }

  function showBalance(fieldset) {
    var i = fieldset.getAttribute("data-line");
    var ordered = parseInt(fieldset.getAttribute("data-ordered"), 10) || 0;
    var out = fieldset.querySelector("[data-balance]");
    if (!out || !box(i, "accept")) return;
    var answered = num(box(i, "accept")) + num(box(i, "backorder")) + num(box(i, "cancel"));
    var text;
    if (answered === ordered) {
      text = "All " + ordered + " answered.";
    } else if (answered < ordered) {
      text = (ordered - answered) + " of " + ordered + " unanswered: accept, backorder or cancel them.";
    } else {
      text = answered + " answered, " + (answered - ordered) + " more than the " + ordered + " ordered.";
    }
    out.textContent = text;
    out.classList.toggle("balance-bad", answered !== ordered);
  }

  function rebalance(fieldset, changed) {
    var i = fieldset.getAttribute("data-line");
    var ordered = parseInt(fieldset.getAttribute("data-ordered"), 10) || 0;
    changed.setAttribute("data-typed", "1");
    var accept = box(i, "accept"), back = box(i, "backorder"), cancel = box(i, "cancel");
    var target = null;
    if (changed === accept && !back.hasAttribute("data-typed")) target = back;
    if (changed !== accept && !accept.hasAttribute("data-typed")) target = accept;
    if (target) {
      var rest = ordered - num(accept) - num(back) - num(cancel) + num(target);
      if (rest >= 0) target.value = String(rest);
    }
    showBalance(fieldset);
  }

  // Invoice: the running total as one types, in exact decimals (BigInt, 8 places), the same sum
  // as pohub/web/invoice_total.py: total = lines + charges - discount + tax, tax = rate% of
  // (lines - discount) rounded half up to the cent. Display rounds as the page's money filter does.
  var SCALE = 100000000n;

  function dec(text) {
    var t = String(text || "").trim();
    var m = /^(-?)(\d*)(?:\.(\d{0,8}))?$/.exec(t);
    if (!m || (m[2] === "" && !m[3])) return null;
    var frac = (m[3] || "").padEnd(8, "0");
    var v = BigInt(m[2] || "0") * SCALE + BigInt(frac || "0");
    return m[1] ? -v : v;
  }

  function divRound(n, d, even) {
    var neg = (n < 0n) !== (d < 0n);
    if (n < 0n) n = -n;
    if (d < 0n) d = -d;
    var q = n / d, r = n % d;
    if (r * 2n > d || (r * 2n === d && (!even || q % 2n === 1n))) q += 1n;
    return neg ? -q : q;
  }

  function showCents(c) {
    var neg = c < 0n;
    if (neg) c = -c;
    var whole = (c / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = (c % 100n).toString().padStart(2, "0");
    return (neg ? "-" : "") + whole + "." + frac;
  }

  function money(scaled) { return showCents(divRound(scaled * 100n, SCALE, true)); }

  function invoiceTotal(form) {
    var lines = 0n;
    form.querySelectorAll("tr.invoice-line").forEach(function (row) {
      var i = row.getAttribute("data-line");
      var qtyText = document.getElementById("qty-" + i).value.trim();
      var qty = /^\d+$/.test(qtyText) ? BigInt(qtyText) : 0n;
      var price = dec(document.getElementById("price-" + i).value);
      if (price === null) price = dec(row.getAttribute("data-price"));
      var out = document.getElementById("amount-" + i);
      if (price === null) { out.textContent = ""; return; }
      var amount = qty * price;
      out.textContent = money(amount);
      lines += amount;
    });
    function extra(name) {
      var v = dec(form.querySelector("#" + name).value);
      return v === null || v < 0n ? 0n : v;
    }
    var charges = extra("charges"), discount = extra("discount"), rate = extra("tax_rate");
    if (rate > 100n * SCALE) rate = 0n;
    var taxCents = divRound((lines - discount) * rate, SCALE * SCALE, false);
    var sum = lines + charges - discount + taxCents * (SCALE / 100n);
    var totalCents = divRound(sum * 100n, SCALE, false);
    document.getElementById("total-lines").textContent = money(lines);
    document.getElementById("total-charges").textContent = money(charges);
    document.getElementById("total-discount").textContent = "-" + money(discount);
    document.getElementById("total-tax").textContent = showCents(taxCents);
    document.getElementById("total-total").textContent = showCents(totalCents);
  }

  // Jobs: a running job's bar follows its progress, polling a small JSON answer; once the job is
  // done the page reloads to list its failed orders. Without the script a <noscript> refresh does it.
  var POLL_MS = 1000;

  function showProgress(box, data) {
    var done = box.querySelector(".bar-done");
    var failed = box.querySelector(".bar-failed-part");
    done.setAttribute("width", String(data.bar.ok));
    failed.setAttribute("x", String(data.bar.ok));
    failed.setAttribute("width", String(data.bar.failed));
    var svg = box.querySelector("svg");
    svg.setAttribute("aria-label", data.label);
    svg.querySelector("title").textContent = data.label;
    box.querySelector(".job-label").textContent = data.label;
    document.querySelectorAll('[data-job-status="' + data.jobId + '"]').forEach(function (chip) {
      chip.textContent = data.statusLabel;
      chip.className = "chip chip-" + data.statusStyle;
    });
  }

  function follow(box) {
    var url = box.getAttribute("data-progress-url");
    var timer = null;
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok || (r.headers.get("content-type") || "").indexOf("application/json") !== 0) throw new Error("stop");
          return r.json();
        })
        .then(function (data) {
          showProgress(box, data);
          if (data.finished) {
            window.location.reload();
          } else {
            timer = window.setTimeout(tick, POLL_MS);
          }
        })
        .catch(function () { if (timer !== null) window.clearTimeout(timer); });
    }
    timer = window.setTimeout(tick, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".job-progress[data-progress-url]").forEach(follow);
    document.querySelectorAll("form.invoice-form").forEach(function (form) {
      invoiceTotal(form);
      form.addEventListener("input", function () { invoiceTotal(form); });
    });
    // Print views: the Print button opens the browser's print dialog.
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("fieldset.ack-line").forEach(function (fs) {
      syncLine(fs);
      showBalance(fs);
      fs.addEventListener("change", function (ev) {
        if (ev.target.classList.contains("ack-action")) { syncLine(fs); showBalance(fs); }
      });
      fs.addEventListener("input", function (ev) {
        if (ev.target.type === "number") rebalance(fs, ev.target);
      });
    });
    // A field's error goes once the field is changed; the hub checks it again on sending.
    document.querySelectorAll('[aria-invalid="true"]').forEach(function (el) {
      el.addEventListener("input", function () {
        el.removeAttribute("aria-invalid");
        var msg = document.getElementById(el.id + "-error");
        if (msg) msg.hidden = true;
      }, { once: true });
    });
    // Phones: the filters fold away unless a search is showing its error.
    var fold = document.querySelector("details.filter-fold");
    if (fold && window.matchMedia("(max-width: 720px)").matches && !fold.querySelector('[aria-invalid="true"]')) {
      fold.removeAttribute("open");
    }
    // Move focus to the error summary so screen readers and keyboards start there.
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    // Filters submit as soon as a list choice changes; dates only with Search (or Enter), since a
    // date box reports a change for every digit typed.
    document.querySelectorAll("form.filters select[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); });
    });
  });
})();
