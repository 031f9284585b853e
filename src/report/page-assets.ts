/**
 * The report page's style and script, inline so the page is one file that opens anywhere (a CI
 * artifact, an email attachment) without a network. The script only filters the accounts table;
 * the page reads fine without it.
 */
export const REPORT_STYLE = `*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0;padding:1rem 1.5rem;color:#1d1d1f;width:100%}
h1{margin:0 0 .2rem}h2{margin:2rem 0 .5rem;border-bottom:1px solid #ddd}
ul{list-style:none;padding-left:1.2rem;border-left:1px solid #ddd}li.ou>span{font-weight:600}
td ul{border:0;padding:0;margin:0}td li{margin:.1rem 0}
ul.drift li::before{content:"⚠ ";color:#b45309}ul.blocked li::before{content:"⛔ "}ul.warnings li::before{content:"• ";color:#b45309}ul.actions li::before{content:"→ ";color:#2563eb}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}table.wide{width:100%}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f6f6f8}
tr.has-drift{background:#fff8e6}tr.state-to-create td{color:#555}tr.state-retired,tr.state-suspended,tr.state-pending-closure{background:#f3f3f3;color:#666}
code{background:#f4f4f6;padding:0 .25rem;border-radius:3px}em{color:#8a2be2}small{color:#666}
.differs{color:#b91c1c}.bad{color:#b91c1c}
.flag{font-size:.75rem;border-radius:3px;padding:0 .3rem;margin-left:.2rem;background:#eef}.flag.protect{background:#e0f2fe}.flag.retired{background:#eee}
.stats{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}.stat{border:1px solid #ddd;border-radius:6px;padding:.3rem .7rem;min-width:7rem}
.stat span{display:block;font-size:1.4rem;font-weight:600}.stat.warn span{color:#b45309}.stat.bad span{color:#b91c1c}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:.5rem 0;position:sticky;top:0;background:#fff;padding:.4rem 0;z-index:1}
.filters input[type=search]{flex:1 1 20rem;padding:.35rem .5rem;font:inherit}.filters select{font:inherit}
details.settings{margin:.3rem 0}details.settings>summary{cursor:pointer}`;

/** Filters the accounts table by the search box and the selects; counts what is shown. */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var rows = Array.prototype.slice.call(document.querySelectorAll('#accounts tbody tr'));
  var search = document.getElementById('search');
  var scope = document.getElementById('filter-scope');
  var ou = document.getElementById('filter-ou');
  var state = document.getElementById('filter-state');
  var show = document.getElementById('filter-show');
  var shown = document.getElementById('shown');
  var none = document.getElementById('no-match');
  if (!search || !scope || !ou || !state || !show || !shown || !none) return;
  function matches(row, query) {
    var d = row.dataset;
    if (query && row.textContent.toLowerCase().indexOf(query) < 0) return false;
    if (scope.value && d.scope !== scope.value) return false;
    if (ou.value && d.ou !== ou.value && d.ou.indexOf(ou.value + '/') !== 0) return false;
    if (state.value === 'protected' ? d.protect !== 'yes' : state.value && d.state !== state.value) return false;
    if (show.value && d[show.value] !== 'yes') return false;
    return true;
  }
  function apply() {
    var query = search.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var ok = matches(row, query);
      row.hidden = !ok;
      if (ok) count++;
    });
    shown.textContent = count + ' of ' + rows.length + ' accounts';
    none.hidden = count > 0;
  }
  search.addEventListener('input', apply);
  [scope, ou, state, show].forEach(function (el) { el.addEventListener('change', apply); });
  apply();
})();`;
