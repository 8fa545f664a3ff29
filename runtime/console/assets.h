// Defines the console's static assets, compiled into crmx-run (no CDN, nothing fetched at run
// time): its style sheet and its one small script. Every page works without the script; it only
// adds conveniences (a filter applied as soon as it is chosen, a confirmation before a discard,
// copying a figure with a click).
#pragma once

namespace crmx::console {

inline constexpr const char* kCss = R"css(
:root { --fg: #1d232b; --muted: #59636e; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --accent: #0b5cad;
        --good: #1a7f37; --typical: #4d5a66; --warning: #9a6700; --red: #c0262d; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus { outline: 3px solid #f0b429; outline-offset: 1px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #102a43; color: #fff; }
header a { color: #fff; text-decoration: none; padding: .2rem .4rem; border-radius: 4px; }
header a[aria-current="page"] { background: #243b53; text-decoration: underline; }
header .who { margin-left: auto; font-size: .9rem; }
header form { display: inline; }
header button { background: transparent; color: #fff; border: 1px solid #829ab1; border-radius: 4px; padding: .15rem .6rem; cursor: pointer; }
main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
h1 { font-size: 1.4rem; margin: .3rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 1rem; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.band { font-weight: 600; }
.band-good { color: var(--good); } .band-typical { color: var(--typical); }
.band-warning { color: var(--warning); } .band-red { color: var(--red); }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: .6rem 0 1rem; }
.error { border-color: var(--red); color: var(--red); }
.ok { border-color: var(--good); }
form.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: flex-end; }
form.filters label, form.act label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, select, textarea { font: inherit; padding: .3rem .4rem; border: 1px solid #8c959f; border-radius: 4px; }
button, .button { font: inherit; padding: .35rem .9rem; border-radius: 4px; border: 1px solid var(--accent);
                  background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--red); border-color: var(--red); }
.actions { display: flex; flex-wrap: wrap; gap: 1.2rem; }
form.act { display: flex; flex-direction: column; gap: .4rem; min-width: 18rem; max-width: 40rem; }
meter { width: 12rem; height: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
pre { background: var(--panel); padding: .8rem; overflow: auto; border-radius: 6px; }
.login { max-width: 26rem; margin: 4rem auto; }
.login form { display: flex; flex-direction: column; gap: .6rem; }
.skip { position: absolute; left: -1000px; } .skip:focus { left: 1rem; top: .5rem; background: #fff; color: #000; padding: .3rem; }
)css";

inline constexpr const char* kJs = R"js(
// The console's conveniences; every page works without them.
(function () {
  document.querySelectorAll('form.filters select').forEach(function (s) {
    s.addEventListener('change', function () { s.form.submit(); });
  });
  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (e) {
      if (!window.confirm(f.getAttribute('data-confirm'))) e.preventDefault();
    });
  });
  document.querySelectorAll('[data-copy]').forEach(function (el) {
    el.title = 'Click to copy';
    el.style.cursor = 'copy';
    el.addEventListener('click', function () {
      if (navigator.clipboard) navigator.clipboard.writeText(el.textContent.trim());
    });
  });
})();
)js";

}  // namespace crmx::console
