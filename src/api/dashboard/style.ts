/** The dashboard's stylesheet, served same-origin (the page's CSP allows no inline style). Text is #1f2328 on light backgrounds: above 7:1. */
export const DASHBOARD_STYLE = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #ffffff; line-height: 1.45; }
body { margin: 0; }
a { color: #0b4fa8; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #0b4fa8; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 1rem; top: 1rem; background: #ffffff; padding: .5rem; z-index: 1; }
.top { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem; background: #f3f4f6; border-bottom: 1px solid #c9ced6; }
.brand { font-weight: 700; font-size: 1.2rem; color: #1f2328; text-decoration: none; }
.top nav a { margin-right: 1rem; }
.who { margin-left: auto; font-size: .9rem; }
main { padding: 1rem 1.5rem 3rem; max-width: 90rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding: .5rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d5d9e0; vertical-align: top; }
th { background: #f3f4f6; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; }
.counts a { display: inline-block; padding: .35rem .7rem; border: 1px solid #c9ced6; border-radius: .4rem; text-decoration: none; color: #1f2328; }
.counts a[aria-current="true"] { border-color: #0b4fa8; border-width: 2px; }
.counts strong { font-size: 1.1rem; margin-right: .3rem; }
.badge { display: inline-block; padding: .1rem .5rem; border-radius: .8rem; font-size: .85rem; color: #1f2328; white-space: nowrap; }
.badge-ok { background: #d3f5dc; }
.badge-rotating { background: #d6e6ff; }
.badge-waiting { background: #fff0c2; }
.badge-attention { background: #ffd9d6; }
.badge-overdue { background: #ffe1c2; }
.badge-suspended { background: #e4e6ea; }
.badge-unknown { background: #ffd9d6; }
form.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin: 1rem 0; }
form.filters label, form.signin label { display: block; font-size: .9rem; font-weight: 600; }
input, select { font: inherit; padding: .35rem .5rem; border: 1px solid #6b7280; border-radius: .3rem; color: #1f2328; background: #ffffff; }
button { font: inherit; padding: .4rem .9rem; border-radius: .3rem; border: 1px solid #0b4fa8; background: #0b4fa8; color: #ffffff; cursor: pointer; }
button.danger { background: #a40e26; border-color: #a40e26; }
button.link { background: none; border: none; color: #0b4fa8; text-decoration: underline; padding: 0; }
form.inline { display: inline; }
.pager { display: flex; gap: 1rem; align-items: center; margin-top: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.notice { padding: .6rem .9rem; border-radius: .4rem; background: #d6e6ff; }
.error { padding: .6rem .9rem; border-radius: .4rem; background: #ffd9d6; }
.fine { font-size: .85rem; color: #424a53; }
.actions a { margin-right: 1rem; }
svg text { font-family: inherit; font-size: 11px; fill: #1f2328; }
`;
